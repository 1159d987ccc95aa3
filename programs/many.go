// many: n goroutines, each sending one value on a buffered channel; main
// receives all n. With several Ps, idle Ms steal from busy Ps' run queues.
package main

func main() {
	const n = 100000
	done := make(chan bool, 100)
	for i := 0; i < n; i++ {
		go func() { done <- true }()
	}
	for i := 0; i < n; i++ {
		<-done
	}
	println("finished", n)
}
