package textus

import (
	"encoding/json"
	"sort"
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
	if err := json.Unmarshal(b, &aux); err != nil {
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
