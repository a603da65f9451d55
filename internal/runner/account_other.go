//go:build !linux

package runner

import "errors"

// Do runs f as the account's; only Linux can do so for one thread, so
// elsewhere an account is refused rather than f run as root.
func (a *Account) Do(f func() error) error {
	if a == nil {
		return f()
	}
	return errors.New("running as another user needs Linux")
}
