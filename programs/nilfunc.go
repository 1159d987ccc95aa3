// nilfunc: go of a nil func value is a fatal error in newproc.
package main

func main() {
	var f func()
	println("going")
	go f()
	println("not reached")
}
