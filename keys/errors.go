package keys

import "errors"

// ErrInvalid is matched (with [errors.Is]) by every error the constructors
// return: the input does not describe a valid identity.
var ErrInvalid = errors.New("keys: invalid input")

// FieldError is the error the constructors return for a bad input. Field is
// the path of the offending input, such as "Config.Region" or
// "Credentials.AssumeRole.RoleARN"; Reason says which rule it breaks.
//
// Neither the message nor the fields ever contain the input value: the value
// might be a secret typed into the wrong field.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "keys: <Field>: <Reason>".
func (e *FieldError) Error() string { return "keys: " + e.Field + ": " + e.Reason }

// Is reports whether target is [ErrInvalid].
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, reason string) error { return &FieldError{Field: field, Reason: reason} }
