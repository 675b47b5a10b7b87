package cipmini

import "context"

// BackendFunc is a Backend made of one function that carries out every
// data command; verb tells which: VerbSendEvent, VerbRSVP or VerbFreeBusy.
// It is to a Backend what http.HandlerFunc is to an http.Handler, and is
// the usual way to write a Middleware. It is safe for concurrent use if
// the function is.
type BackendFunc func(ctx context.Context, verb Verb, req *Request) *Reply

// SendEvent calls f with VerbSendEvent.
func (f BackendFunc) SendEvent(ctx context.Context, req *Request) *Reply {
	return f(ctx, VerbSendEvent, req)
}

// RSVP calls f with VerbRSVP.
func (f BackendFunc) RSVP(ctx context.Context, req *Request) *Reply { return f(ctx, VerbRSVP, req) }

// FreeBusy calls f with VerbFreeBusy.
func (f BackendFunc) FreeBusy(ctx context.Context, req *Request) *Reply {
	return f(ctx, VerbFreeBusy, req)
}

// Call carries out the data command verb with b: b.SendEvent, b.RSVP or
// b.FreeBusy. For a verb that takes no data it calls nothing and returns
// nil, which a Server answers "NO 007".
func Call(ctx context.Context, b Backend, verb Verb, req *Request) *Reply {
	switch verb {
	case VerbSendEvent:
		return b.SendEvent(ctx, req)
	case VerbRSVP:
		return b.RSVP(ctx, req)
	case VerbFreeBusy:
		return b.FreeBusy(ctx, req)
	}
	return nil
}

// Middleware wraps a Backend in another that sees every data command
// before next does, and its reply after: it may answer without calling
// next (as RateLimit does past its cap), change the request or the reply,
// or only look (as Observe does). The Backend it returns is called from
// one goroutine per connection, as every Backend is, so it must be safe
// for concurrent use; a panic in it is recovered as one in the Backend is.
//
// A RateLimit's Middleware method and the result of Observe are
// Middlewares; Chain puts several around one Backend.
type Middleware func(next Backend) Backend

// Chain returns b wrapped in mw, the first outermost: Chain(b, m1, m2) is
// m1(m2(b)), so a command goes through m1, then m2, then reaches b, and
// its reply comes back the other way. With no mw it returns b.
func Chain(b Backend, mw ...Middleware) Backend {
	for i := len(mw) - 1; i >= 0; i-- {
		b = mw[i](b)
	}
	return b
}

// Observe returns a Middleware that calls fn with each data command, its
// request and next's reply, after next has answered and before the reply
// is sent; the reply goes on unchanged. A nil reply is passed on without
// calling fn (the Server answers it "NO 007"). fn is called from many
// goroutines at once and must not keep req.Data, which is valid only
// during the call.
func Observe(fn func(ctx context.Context, verb Verb, req *Request, reply *Reply)) Middleware {
	return func(next Backend) Backend {
		return BackendFunc(func(ctx context.Context, verb Verb, req *Request) *Reply {
			r := Call(ctx, next, verb, req)
			if r != nil {
				fn(ctx, verb, req, r)
			}
			return r
		})
	}
}
