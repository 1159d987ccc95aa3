// deeprec: a recursion 10000 deep grows the goroutine's stack from its
// first 2 KiB to 2 MiB; pointers into the stack (&anchor passed down, each
// frame's &v) must follow every copy, or the checksum and anchor change.
package main

//go:noinline
func rec(n int, p *int) int {
	v := n*7 + 3
	pad := n ^ 0x5a5a
	vp := &v
	var r int
	if n == 0 {
		*p += 1000
		r = *p
	} else {
		r = rec(n-1, p)
	}
	*vp += 1
	return r*31 + v + pad
}

//go:noinline
func report(depth, sum, anchor int) {
	println("depth", depth, "checksum", sum)
	println("anchor", anchor)
}

func main() {
	anchor := 7
	sum := rec(10000, &anchor)
	report(10000, sum, anchor)
	sum = rec(100, &anchor)
	report(100, sum, anchor)
}
