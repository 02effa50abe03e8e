package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunArguments(t *testing.T) {
	assert.Equal(t, 0, run([]string{"-h"}), "help is not an error")
	assert.Equal(t, 2, run([]string{"-no-such-flag"}))
	assert.Equal(t, 2, run([]string{"extra"}))
	assert.Equal(t, 1, run([]string{"-addr", "127.0.0.1:notaport", "-log=false"}), "listen failure")
}
