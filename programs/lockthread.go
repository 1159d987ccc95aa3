// lockthread: runtime.LockOSThread wires a goroutine to its thread (M):
// while it is locked, no other goroutine runs on that thread, and when the
// locked goroutine blocks its thread hands the P to another thread and
// sleeps until the goroutine is ready again. A goroutine that exits still
// locked takes its thread with it.
package main

import "runtime"

func worker(id int, done chan bool) {
	runtime.LockOSThread()
	println("worker", id, "locked")
	runtime.Gosched()
	println("worker", id, "after Gosched")
	if id == 1 {
		runtime.UnlockOSThread()
		println("worker", id, "unlocked")
	}
	done <- true
}

func main() {
	runtime.LockOSThread()
	done := make(chan bool)
	go worker(0, done)
	go worker(1, done)
	<-done
	<-done
	runtime.UnlockOSThread()
	println("main: done")
}
