package textustest

import (
	"fmt"
)

// SandboxURL is the address of the server's sandbox, the browser UI at
// SandboxPath ("http://127.0.0.1:PORT/_textustest/ui/").
func (s *Server) SandboxURL() string { return s.url + SandboxPath }

// SetDeliverable undoes SetUndeliverable (and WithUndeliverable): later
// sends to phone turn "delivered" again. It returns an error for a value
// that is not a phone number.
func (s *Server) SetDeliverable(phone string) error {
	e, err := parseE164(phone)
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.undeliverable, e)
	s.mu.Unlock()
	s.ui.publish(uiEvent{Kind: "undeliverable", Phone: e})
	return nil
}

// Redeliver sends the webhook delivery with the given id (Delivery.ID)
// again: the same id, body and signature, to the same URL, in a new series
// of attempts (retried as the first was), behind the deliveries of its
// conversation that are still queued. A delivery still being attempted
// cannot be redelivered until it is done; WaitIdle waits for that. It
// returns ErrClosed after Close.
func (s *Server) Redeliver(id string) error {
	if err := s.hooks.redeliver(id); err != nil {
		return fmt.Errorf("textustest: Redeliver: %w", err)
	}
	return nil
}
