// Package browsertest drives the sandbox of package textustest (its
// browser UI) in a real Chromium, through the SDK and a real webhook
// receiver. It is a module of its own so that the browser driver never
// enters the SDK's go.mod; it has no API, only tests.
package browsertest
