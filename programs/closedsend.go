// closedsend: a send on a closed channel panics, even when the buffer has room.
package main

func main() {
	c := make(chan int, 1)
	close(c)
	println("sending on a closed channel")
	c <- 1
	println("not reached")
}
