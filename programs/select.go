// select: what a select statement does with its cases. With nothing
// ready, default runs; a ready case is taken without blocking; with no
// default, select parks on every channel at once (one sudog per case) and
// the first partner to come wakes it; a timeout is just another channel,
// here closed by a goroutine after time.Sleep.
package main

import "time"

func main() {
	a := make(chan int, 1)
	b := make(chan string)
	never := make(chan int)

	// Nothing ready: default.
	select {
	case v := <-a:
		println("received", v, "from a")
	case s := <-b:
		println("received", s, "from b")
	default:
		println("nothing ready: default")
	}

	// A value in a's buffer: that case is ready, select does not block.
	a <- 1
	select {
	case v := <-a:
		println("received", v, "from a")
	case s := <-b:
		println("received", s, "from b")
	}

	// No case ready and no default: select parks until the receiver comes.
	go func() {
		println("receiver got", <-b)
	}()
	select {
	case b <- "hello":
		println("sent hello on b")
	case v := <-never:
		println("received", v, "from never")
	}

	// A timeout: a goroutine sleeps 10ms, then closes the timeout channel.
	timeout := make(chan struct{})
	go func() {
		time.Sleep(10 * time.Millisecond)
		close(timeout)
	}()
	select {
	case v := <-never:
		println("received", v, "from never")
	case <-timeout:
		println("timed out after 10ms")
	}

	// One case and a default: a non-blocking send, and receive.
	a <- 2
	select {
	case a <- 3:
		println("sent 3")
	default:
		println("a is full: default")
	}
	select {
	case v, ok := <-a:
		println("received", v, ok)
	default:
		println("a is empty: default")
	}

	// A closed channel is always ready: received with ok false.
	done := make(chan bool)
	close(done)
	select {
	case v, ok := <-done:
		println("from the closed channel:", v, ok)
	case v := <-never:
		println("received", v, "from never")
	}

	// Many senders, one select loop: every value arrives, then both channels close.
	odd, even := make(chan int), make(chan int)
	go func() {
		for i := 1; i < 6; i += 2 {
			odd <- i
		}
		close(odd)
	}()
	go func() {
		for i := 0; i < 6; i += 2 {
			even <- i
		}
		close(even)
	}()
	sum, n := 0, 0
	for odd != nil || even != nil {
		select {
		case v, ok := <-odd:
			if !ok {
				odd = nil
				continue
			}
			sum += v
			n++
		case v, ok := <-even:
			if !ok {
				even = nil
				continue
			}
			sum += v
			n++
		}
	}
	println("received", n, "values, sum", sum)
}
