package textusredis_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/textus-go/textus/textusredis/internal/redistest"
)

func TestMain(m *testing.M) {
	redistest.SilenceClientLogs()
	goleak.VerifyTestMain(m)
}
