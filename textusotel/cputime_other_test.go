//go:build !unix

package textusotel_test

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
