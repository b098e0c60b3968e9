package integration

import (
	"runtime"
	"time"
)

func runtimeGosched() {
	runtime.Gosched()
	time.Sleep(time.Millisecond)
}
