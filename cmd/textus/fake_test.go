package main

import (
	"flag"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// textus fake prints the sandbox's address, and the sandbox answers there.
func TestFakePrintsTheSandbox(t *testing.T) {
	p := runInBackground(t, nil, "fake", "--token", "fake-token-SENTINEL")
	uiLine := regexp.MustCompile(`(?m)^UI: (http://127\.0\.0\.1:\d+/_textustest/ui/)$`)
	require.Eventually(t, func() bool {
		out := p.stdout.String()
		return uiLine.MatchString(out) && strings.Contains(out, "export "+envControlURL+"=")
	}, 10*time.Second, 10*time.Millisecond, "stdout: %s", p.stdout)
	ui := uiLine.FindStringSubmatch(p.stdout.String())[1]
	assert.Equal(t, envValue(p.stdout.String(), envBaseURL)+"/_textustest/ui/", ui, "the UI is on the server's address")

	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, ui, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "TextUs sandbox")
	assert.NotContains(t, string(body), "fake-token-SENTINEL", "the UI never shows the token")
	assert.Empty(t, p.stderr.String(), "no warning on loopback")
	assert.Equal(t, 0, p.stop(t))
}

// The default address is a loopback one: the sandbox has no token.
func TestFakeListensOnLoopbackByDefault(t *testing.T) {
	var f fakeFlags
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	f.define(fs)
	require.NoError(t, fs.Parse(nil))
	host, _, err := net.SplitHostPort(f.addr)
	require.NoError(t, err)
	ip := net.ParseIP(host)
	require.NotNil(t, ip, f.addr)
	assert.True(t, ip.IsLoopback(), f.addr)

	assert.True(t, isLoopbackAddr(&net.TCPAddr{IP: net.IPv6loopback, Port: 1}))
	assert.True(t, isLoopbackAddr(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}))
	assert.False(t, isLoopbackAddr(&net.TCPAddr{IP: net.IPv4zero, Port: 1}))
	assert.False(t, isLoopbackAddr(&net.TCPAddr{IP: net.IPv4(192, 168, 0, 2), Port: 1}))
}

// envValue is the value of an export line of textus fake's output.
func envValue(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "export "+key+"="); ok {
			return strings.Trim(v, "'")
		}
	}
	return ""
}
