// workers: a worker pool. Three workers take jobs from one channel and
// send results on another; main sends nine jobs, closes the job channel,
// and collects nine results. With one P the order in which results come
// back is the scheduler's: who is in runnext, who waits on which queue.
package main

type result struct {
	job, worker, square int
}

func worker(id int, jobs <-chan int, results chan<- result) {
	for j := range jobs {
		results <- result{j, id, j * j}
	}
}

func main() {
	jobs := make(chan int, 3)
	results := make(chan result)
	for w := 1; w <= 3; w++ {
		go worker(w, jobs, results)
	}
	go func() {
		for j := 1; j <= 9; j++ {
			jobs <- j
		}
		close(jobs)
	}()
	sum := 0
	for i := 0; i < 9; i++ {
		r := <-results
		println("job", r.job, "by worker", r.worker, "=", r.square)
		sum += r.square
	}
	println("sum of squares:", sum)
}
