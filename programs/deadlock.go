// deadlock: main waits on a channel nobody will ever send on.
package main

func main() {
	c := make(chan int)
	println("waiting")
	<-c
}
