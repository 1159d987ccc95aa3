// gosched: two goroutines take turns by calling runtime.Gosched, which puts
// the caller on the global run queue and schedules the other.
package main

import "runtime"

func loop(name string, n int, done chan bool) {
	for i := 0; i < n; i++ {
		println(name, i)
		runtime.Gosched()
	}
	done <- true
}

func main() {
	done := make(chan bool)
	go loop("ping", 3, done)
	go loop("pong", 3, done)
	<-done
	<-done
	println("goroutines:", runtime.NumGoroutine())
}
