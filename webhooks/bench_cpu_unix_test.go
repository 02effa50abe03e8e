//go:build unix

package webhooks

import (
	"syscall"
	"time"
)

// processCPUTime returns the CPU time the process has used so far, user
// and system, and whether it could be read.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
