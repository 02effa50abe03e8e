package textus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net"
	"net/url"
	"sort"
	"strings"
)

// Webhook is a webhook subscription: a TextUs Integration with provider
// "webhook".
type Webhook struct {
	// ID is the integration's IRI, e.g. "/integrations/0yX2VrJ".
	ID string `json:"id"`
	// URL is the endpoint deliveries are posted to (config.baseUrl).
	URL string `json:"url"`
	// Secret is the signing secret TextUs generated (config.webhookSecret).
	// Treat it like a password.
	Secret string `json:"-"`
	// Events are the subscribed events (settings.actions set to true),
	// sorted.
	Events []EventType `json:"events"`
	// Active reports whether deliveries are enabled.
	Active bool `json:"active"`
	// Healthy is the API's isHealthy flag.
	Healthy bool `json:"healthy"`
	// Provider is "webhook" for subscriptions made by this SDK.
	Provider string `json:"provider,omitempty"`
	// Raw is the JSON the integration was decoded from. It contains the
	// secret.
	Raw json.RawMessage `json:"-"`
}

// String describes the webhook without its secret.
func (w *Webhook) String() string {
	if w == nil {
		return "<nil>"
	}
	return "Webhook(" + w.ID + " " + w.URL + ")"
}

// UnmarshalJSON decodes an Integration into a Webhook.
func (w *Webhook) UnmarshalJSON(b []byte) error {
	var aux struct {
		ID       string `json:"id"`
		Provider string `json:"provider"`
		Active   bool   `json:"active"`
		Healthy  *bool  `json:"isHealthy"`
		Config   struct {
			BaseURL       string `json:"baseUrl"`
			WebhookSecret string `json:"webhookSecret"`
		} `json:"config"`
		Settings struct {
			Actions map[string]bool `json:"actions"`
		} `json:"settings"`
	}
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	*w = Webhook{
		ID:       aux.ID,
		URL:      aux.Config.BaseURL,
		Secret:   aux.Config.WebhookSecret,
		Active:   aux.Active,
		Healthy:  aux.Healthy != nil && *aux.Healthy,
		Provider: aux.Provider,
		Raw:      append(json.RawMessage(nil), b...),
	}
	for name, on := range aux.Settings.Actions {
		if on {
			w.Events = append(w.Events, NormalizeEventType(name))
		}
	}
	sort.Slice(w.Events, func(i, j int) bool { return w.Events[i] < w.Events[j] })
	return nil
}

// WebhooksService manages webhook subscriptions: TextUs Integrations with
// provider "webhook". Register them on the top-level organization account
// with an organization admin's token. Get it from Client.Webhooks. The
// Integrations endpoints are marked by TextUs as under active development.
type WebhooksService service

// WebhookParams is the input of WebhooksService.Create and Update.
type WebhookParams struct {
	// URL receives the deliveries (config.baseUrl): an absolute https URL,
	// as TextUs requires. Plain http is accepted only for a loopback host
	// (localhost, 127.0.0.0/8, ::1), where tests and textustest run; any
	// other http URL is refused before anything is sent.
	URL string
	// Events to subscribe to. On Create at least one is required; on
	// Update nil leaves the subscription as it is and a non-nil list
	// replaces it. Hyphenated aliases are normalised.
	Events []EventType
	// Active enables or disables deliveries; nil means true on Create and
	// unchanged on Update.
	Active *bool
}

type integrationConfig struct {
	BaseURL string `json:"baseUrl,omitempty"`
}

type integrationSettings struct {
	Actions map[EventType]bool `json:"actions"`
}

type integrationBody struct {
	Provider string               `json:"provider,omitempty"`
	Active   *bool                `json:"active,omitempty"`
	Config   *integrationConfig   `json:"config,omitempty"`
	Settings *integrationSettings `json:"settings,omitempty"`
}

// checkWebhookURL checks a subscription's endpoint: https, or http on a
// loopback host.
func checkWebhookURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("textus: webhook URL %q: want an absolute https URL such as https://example.com/hooks/textus", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("textus: webhook URL %q: TextUs delivers only to https endpoints (plain http is allowed for loopback hosts only)", raw)
	}
	return u.String(), nil
}

// isLoopback reports whether host is "localhost" or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// body validates p and builds the integration body. Every documented event
// is sent explicitly (true or false), so the subscription is exactly the
// list given.
func (p *WebhookParams) body(create bool) (*integrationBody, error) {
	if p == nil {
		return nil, errors.New("textus: nil *WebhookParams")
	}
	b := &integrationBody{Active: p.Active}
	if create {
		b.Provider = "webhook"
		if b.Active == nil {
			on := true
			b.Active = &on
		}
	}
	if p.URL != "" || create {
		u, err := checkWebhookURL(p.URL)
		if err != nil {
			return nil, err
		}
		b.Config = &integrationConfig{BaseURL: u}
	}
	if p.Events != nil || create {
		if len(p.Events) == 0 {
			return nil, errors.New("textus: a webhook needs at least one event")
		}
		actions := make(map[EventType]bool, len(p.Events)+8)
		for _, e := range AllEvents() {
			actions[e] = false
		}
		for _, e := range p.Events {
			n := NormalizeEventType(string(e))
			if n == "" {
				return nil, errors.New("textus: empty event name")
			}
			actions[n] = true
		}
		b.Settings = &integrationSettings{Actions: actions}
	}
	if !create && b.Active == nil && b.Config == nil && b.Settings == nil {
		return nil, errors.New("textus: webhook update has no fields to change")
	}
	return b, nil
}

// Create subscribes a URL to events and returns the subscription with the
// signing Secret TextUs generated (shown only here and on Update: store
// it). It is a POST: if it fails after it may have reached TextUs, the
// error matches ErrOutcomeUnknown; List before creating again.
//
// POST /:account/integrations (https://apidocs.next.textus.com/docs/integrations/create/).
func (s *WebhooksService) Create(ctx context.Context, p *WebhookParams) (*Webhook, error) {
	b, err := p.body(true)
	if err != nil {
		return nil, err
	}
	return call[Webhook](ctx, s.client, epWebhooksCreate, b)
}

// Update changes a subscription's URL, events or active flag; unset fields
// are left as they are.
//
// PUT /integrations/:integration (https://apidocs.next.textus.com/docs/integrations/update/).
func (s *WebhooksService) Update(ctx context.Context, id string, p *WebhookParams) (*Webhook, error) {
	b, err := p.body(false)
	if err != nil {
		return nil, err
	}
	return call[Webhook](ctx, s.client, epWebhooksUpdate, b, id)
}

// Disable stops deliveries to a subscription (the API has no delete).
//
// PUT /integrations/:integration with {"active": false}
func (s *WebhooksService) Disable(ctx context.Context, id string) (*Webhook, error) {
	off := false
	return s.Update(ctx, id, &WebhookParams{Active: &off})
}

// List iterates over the account's webhook subscriptions (integrations of
// other providers are skipped).
//
// GET /:account/integrations
func (s *WebhooksService) List(ctx context.Context) iter.Seq2[*Webhook, error] {
	p := newPager[Webhook](s.client, epWebhooksList, nil)
	p.keep = isWebhook
	return p.all(ctx)
}

// isWebhook keeps the integrations that are webhook subscriptions.
func isWebhook(w *Webhook) bool { return w.Provider == "" || w.Provider == "webhook" }
