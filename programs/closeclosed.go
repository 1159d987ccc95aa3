// closeclosed: closing a channel twice panics.
package main

func main() {
	c := make(chan bool)
	close(c)
	println("closing again")
	close(c)
	println("not reached")
}
