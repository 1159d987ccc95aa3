// hog: Go's TestPingPongHog. Two pairs of goroutines ping-pong over
// unbuffered channels, a hog pair doing a million increments per turn and
// a light pair a thousand. A pair that hands the P back and forth through
// runnext inherits one time slice, so without preemption the hogs would
// keep the one P; sysmon preempts them after 10 ms and both pairs get about
// the same time: their counts end within a factor of 5.
package main

import "time"

var hogCount, lightCount int

func run(limit int, counter *int, wake chan bool) {
	for {
		<-wake
		for i := 0; i < limit; i++ {
			*counter++
		}
		wake <- true
	}
}

func main() {
	hogChan, lightChan := make(chan bool), make(chan bool)
	for i := 0; i < 2; i++ {
		go run(1e6, &hogCount, hogChan)
	}
	for i := 0; i < 2; i++ {
		go run(1e3, &lightCount, lightChan)
	}
	hogChan <- true
	lightChan <- true
	time.Sleep(100 * time.Millisecond)
	h, l := hogCount, lightCount
	println("within 5x:", h < 5*l && l < 5*h)
}
