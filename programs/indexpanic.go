// indexpanic: an index out of range is a panic in Go's words (goPanicIndex).
package main

func at(s []int, i int) int {
	return s[i]
}

func main() {
	s := []int{1, 2, 3}
	println("s[1] =", at(s, 1))
	println("s[5] =", at(s, 5))
	println("not reached")
}
