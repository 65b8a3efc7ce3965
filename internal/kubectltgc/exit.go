package kubectltgc

import "errors"

// Exit codes, as kubectl diff has them: a command that found a difference
// is not an error.
const (
	exitOK = 0
	// exitDiffers: diff found that a target group is not what its binding
	// wants.
	exitDiffers = 1
	// exitError: bad input, a failed read, or a binding whose plan cannot
	// be worked out.
	exitError = 2
)

// exitCode carries a command's exit code through cobra, which knows only
// errors; a nil err exits with code and prints nothing more.
type exitCode struct {
	code int
	err  error
}

func (e *exitCode) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitCode) Unwrap() error { return e.err }

// codeOf is the exit code of a command's error.
func codeOf(err error) int {
	var e *exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &e):
		return e.code
	}
	return exitError
}
