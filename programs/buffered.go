// buffered: a producer fills a buffered channel and closes it; main drains
// it with v, ok := <-c until the channel is closed and empty.
package main

func producer(c chan int, n int) {
	for i := 0; i < n; i++ {
		c <- i
		println("sent", i)
	}
	println("closing")
	close(c)
}

func main() {
	c := make(chan int, 3)
	go producer(c, 5)
	for {
		v, ok := <-c
		if !ok {
			break
		}
		println("received", v)
	}
	println("closed and drained")
}
