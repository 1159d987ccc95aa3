// waitgroup: four workers increment one counter under a sync.Mutex, each
// yielding the P while it holds the lock, so the others find it locked
// and sleep on its semaphore (sync.runtime_SemacquireMutex) until Unlock
// wakes one (sync.runtime_Semrelease). main waits for all of them with a
// sync.WaitGroup (runtime_Semacquire on its counter), and a sync.Once
// runs its function once however many goroutines call Do.
package main

import (
	"runtime"
	"sync"
)

func main() {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		once    sync.Once
		counter int
		onces   int
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				mu.Lock()
				counter++
				if i%10 == 0 {
					runtime.Gosched() // hold the lock across a switch
				}
				mu.Unlock()
			}
			once.Do(func() { onces++ })
		}()
	}
	wg.Wait()
	println("counter:", counter)
	println("once ran", onces, "time(s)")
	println("goroutines left:", runtime.NumGoroutine())
}
