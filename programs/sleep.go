// sleep: three goroutines sleep 30, 10 and 20 ms; they wake, and print, in
// the order of their deadlines, not the order they were started in.
package main

import "time"

func sleeper(ms int, done chan bool) {
	time.Sleep(time.Duration(ms) * time.Millisecond)
	println("woke after", ms, "ms")
	done <- true
}

func main() {
	done := make(chan bool)
	go sleeper(30, done)
	go sleeper(10, done)
	go sleeper(20, done)
	for i := 0; i < 3; i++ {
		<-done
	}
	println("all awake")
}
