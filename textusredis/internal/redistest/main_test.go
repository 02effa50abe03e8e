package redistest

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	SilenceClientLogs()
	goleak.VerifyTestMain(m)
}
