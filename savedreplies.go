package textus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/textus-go/textus/internal/jsonld"
)

// SavedReply is a user's canned message body (JSON-LD type "SavedReply"),
// chosen from a list and sent as a message. Reference it when sending with
// SendMessageParams.SavedReply or ScheduleMessageParams.SavedReply.
type SavedReply struct {
	// LDType is the JSON-LD @type ("SavedReply").
	LDType string `json:"@type,omitempty"`
	// ID is the saved reply's IRI, e.g. "/saved_replies/vxoonZb".
	ID string `json:"id"`
	// Title is the name shown in the list of saved replies.
	Title string `json:"title"`
	// Content is the message body.
	Content string `json:"content"`
	// Shared reports whether other users of the account see it.
	Shared bool `json:"shared,omitempty"`
	// User is the IRI of the owner.
	User string `json:"user,omitempty"`
	// Attachments are the saved reply's attachments, when it has any.
	Attachments []SavedReplyAttachment `json:"attachments,omitempty"`
	// Raw is the JSON the saved reply was decoded from.
	Raw json.RawMessage `json:"-"`
}

// SavedReplyAttachment is a file attached to a saved reply.
type SavedReplyAttachment struct {
	// ID is the attachment's IRI.
	ID string `json:"id,omitempty"`
	// URL is where the file is served; DownloadURL a direct download.
	URL string `json:"url,omitempty"`
	// DownloadURL is a direct download link.
	DownloadURL string `json:"downloadUrl,omitempty"`
	// Key is the uploaded file's storage key.
	Key string `json:"key,omitempty"`
	// ContentType is the file's media type ("image/png").
	ContentType string `json:"contentType,omitempty"`
	// Size is the file's size in bytes.
	Size int64 `json:"size,omitempty"`
	// Width and Height are an image's dimensions in pixels.
	Width int `json:"width,omitempty"`
	// Height: see Width.
	Height int `json:"height,omitempty"`
	// OriginalFilename is the name the file was uploaded with.
	OriginalFilename string `json:"originalFilename,omitempty"`
}

// UnmarshalJSON decodes a saved reply leniently: the user may be a link or
// an embedded object, attachments a collection or a link, and a field of an
// unexpected JSON type is left zero.
func (r *SavedReply) UnmarshalJSON(b []byte) error {
	type plain SavedReply
	*r = SavedReply{}
	aux := struct {
		*plain
		User        jsonld.Link                             `json:"user"`
		Attachments jsonld.Collection[SavedReplyAttachment] `json:"attachments"`
	}{plain: (*plain)(r)}
	if err := decodeObject(b, &aux); err != nil {
		return err
	}
	r.User = aux.User.IRI
	r.Attachments = aux.Attachments.Members
	if !isNull(b) {
		r.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

// UnmarshalJSON decodes an attachment leniently.
func (a *SavedReplyAttachment) UnmarshalJSON(b []byte) error {
	type plain SavedReplyAttachment
	*a = SavedReplyAttachment{}
	return decodeObject(b, (*plain)(a))
}

// SavedRepliesService creates and updates saved replies. Get it from
// Client.SavedReplies.
type SavedRepliesService service

// SavedReplyParams is the body of SavedRepliesService.Create and Update.
// The SDK wraps it as the API requires: {"saved_reply": {...}}.
type SavedReplyParams struct {
	// Title is the name shown in the list; required on Create.
	Title string `json:"title,omitempty"`
	// Content is the message body; required on Create.
	Content string `json:"content,omitempty"`
	// Attachments are files already uploaded to TextUs, referenced by
	// their storage key. The docs do not describe the upload; the keys
	// come from TextUs.
	Attachments []SavedReplyAttachmentParams `json:"attachments,omitempty"`
}

// SavedReplyAttachmentParams is one attachment in SavedReplyParams, with
// the keys of the documented example.
type SavedReplyAttachmentParams struct {
	// Key is the uploaded file's storage key; required.
	Key string `json:"key"`
	// OriginalFilename is the file's name ("image01.png").
	OriginalFilename string `json:"originalFilename,omitempty"`
	// Size is the file's size in bytes.
	Size int64 `json:"size,omitempty"`
	// Height is an image's height in pixels.
	Height int `json:"height,omitempty"`
	// Width is an image's width in pixels.
	Width int `json:"width,omitempty"`
	// ContentType is the file's media type ("image/png").
	ContentType string `json:"contentType,omitempty"`
}

// savedReplyBody is the wrapped request body.
type savedReplyBody struct {
	SavedReply *SavedReplyParams `json:"saved_reply"`
}

// body checks p and returns the wrapped body. p is not modified.
func (p *SavedReplyParams) body(create bool) (*savedReplyBody, error) {
	if p == nil {
		return nil, errors.New("textus: nil *SavedReplyParams")
	}
	b := *p
	b.Title = strings.TrimSpace(p.Title)
	if create && b.Title == "" {
		return nil, errors.New("textus: a saved reply needs a title")
	}
	if create && strings.TrimSpace(p.Content) == "" {
		return nil, errors.New("textus: a saved reply needs content")
	}
	if !create && b.Title == "" && strings.TrimSpace(p.Content) == "" && len(p.Attachments) == 0 {
		return nil, errors.New("textus: saved reply update has no fields to change")
	}
	if !create && p.Content != "" && strings.TrimSpace(p.Content) == "" {
		return nil, errors.New("textus: saved reply content is blank")
	}
	for i, a := range p.Attachments {
		if strings.TrimSpace(a.Key) == "" {
			return nil, fmt.Errorf("textus: saved reply attachment %d has no key", i)
		}
	}
	return &savedReplyBody{SavedReply: &b}, nil
}

// Create creates a saved reply for a user (by IRI or slug) and returns it.
//
// It is a POST: if it fails after it may have reached TextUs, the error
// matches ErrOutcomeUnknown and the request is not sent again (the saved
// reply may exist; the docs describe no way to list a user's saved
// replies, so check in TextUs before creating it again). An unknown user
// yields ErrNotFound; missing or refused fields, ErrValidation.
//
// POST /users/:user/saved_replies with {"saved_reply": {...}}, answered 201
// (https://apidocs.next.textus.com/docs/saved_replies/create).
func (s *SavedRepliesService) Create(ctx context.Context, user string, p *SavedReplyParams) (*SavedReply, error) {
	b, err := p.body(true)
	if err != nil {
		return nil, err
	}
	return call[SavedReply](ctx, s.client, epSavedRepliesCreate, b, user)
}

// Update changes a saved reply (by IRI or slug); fields left empty are not
// sent, and Attachments, when given, are sent as the new list. It is a
// PUT, retried like any idempotent request.
//
// PUT /saved_replies/:saved_reply with {"saved_reply": {...}}
// (https://apidocs.next.textus.com/docs/saved_replies/update).
func (s *SavedRepliesService) Update(ctx context.Context, id string, p *SavedReplyParams) (*SavedReply, error) {
	b, err := p.body(false)
	if err != nil {
		return nil, err
	}
	return call[SavedReply](ctx, s.client, epSavedRepliesUpdate, b, id)
}
