package serve

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

var (
	errUnknownKey    = errors.New("unknown key")
	errWrongPasscode = errors.New("wrong passcode")
)

// wrongPasscodeDelay slows down guessing the passcode.
const wrongPasscodeDelay = time.Second

// authConfig is how the server tells learners apart: by public key only.
// A known key is let in as its learner. An unknown key, once the client
// has proven it holds it (a signature), may be registered when the
// workshop has a passcode: the learner answers the passcode and a name
// (keyboard-interactive), and the key is theirs from then on. Anything
// else is refused before any UI runs.
func (s *Server) authConfig() *gossh.ServerConfig {
	return &gossh.ServerConfig{
		PublicKeyCallback: func(conn gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
			if name, ok := s.keys.Lookup(key); ok {
				return &gossh.Permissions{Extensions: map[string]string{extLearner: name}}, nil
			}
			if s.opts.Passcode != "" {
				// Accepted for now, so that the client signs with it:
				// only a key the client holds is registered.
				return nil, nil
			}
			return nil, errUnknownKey
		},
		VerifiedPublicKeyCallback: func(conn gossh.ConnMetadata, key gossh.PublicKey, perms *gossh.Permissions, _ string) (*gossh.Permissions, error) {
			if perms != nil {
				return perms, nil
			}
			return nil, &gossh.PartialSuccessError{Next: gossh.ServerAuthCallbacks{
				KeyboardInteractiveCallback: func(conn gossh.ConnMetadata, ask gossh.KeyboardInteractiveChallenge) (*gossh.Permissions, error) {
					return s.register(conn, key, ask)
				},
			}}
		},
	}
}

// register asks a learner with a new key for the workshop's passcode and
// the name to be known by, and records the key under that name.
func (s *Server) register(conn gossh.ConnMetadata, key gossh.PublicKey, ask gossh.KeyboardInteractiveChallenge) (*gossh.Permissions, error) {
	fp := gossh.FingerprintSHA256(key)
	suggest := strings.ToLower(conn.User())
	if CheckName(suggest) != nil {
		suggest = ""
	}
	namePrompt := "Your name (" + nameRule + "): "
	if suggest != "" {
		namePrompt = fmt.Sprintf("Your name [%s]: ", suggest)
	}
	instruction := "Your key (" + fp + ") is new to this workshop. Register it with the workshop's passcode and the name you will be known by; it cannot be changed later."
	answers, err := ask("streamlab workshop registration", instruction, []string{"Workshop passcode: ", namePrompt}, []bool{false, true})
	if err != nil {
		return nil, err
	}
	if len(answers) != 2 || subtle.ConstantTimeCompare([]byte(answers[0]), []byte(s.opts.Passcode)) != 1 {
		s.log.Info("registration refused: wrong passcode", "remote", conn.RemoteAddr().String(), "key", fp)
		time.Sleep(wrongPasscodeDelay)
		return nil, errWrongPasscode
	}
	name := strings.ToLower(strings.TrimSpace(answers[1]))
	for attempt := 0; ; attempt++ {
		if name == "" {
			name = suggest
		}
		err := s.keys.Register(key, name)
		if err == nil {
			s.log.Info("registered", "learner", name, "key", fp, "remote", conn.RemoteAddr().String())
			return &gossh.Permissions{Extensions: map[string]string{extLearner: name}}, nil
		}
		if attempt == 2 {
			return nil, err
		}
		why := err.Error()
		if errors.Is(err, ErrNameTaken) {
			why = fmt.Sprintf("The name %s is taken.", name)
		} else if name == "" {
			why = "A name is needed."
		}
		more, err := ask("streamlab workshop registration", why+" Choose another ("+nameRule+").", []string{"Your name: "}, []bool{true})
		if err != nil || len(more) != 1 {
			return nil, err
		}
		name = strings.ToLower(strings.TrimSpace(more[0]))
	}
}
