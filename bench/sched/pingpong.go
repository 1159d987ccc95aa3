// Unbuffered ping-pong, N round trips.
package main

import (
	"os"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	ping, pong := make(chan int), make(chan int)
	go func() {
		for {
			v := <-ping
			pong <- v
		}
	}()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
}
