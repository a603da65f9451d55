package serve

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"golang.org/x/sys/unix"
)

// sizeSync keeps the UI, the learner's terminal and the server's pty the
// same size. The SSH session hands each window change to one reader only,
// and two read: wish's bubbletea middleware (which tells the UI) and the
// session's pty (which resizes itself). So the UI resizes the pty when it
// hears of a change first, and a poll tells the UI when the pty heard
// first. The editor, which runs on the pty, needs the pty's size right.
type sizeSync struct {
	tty  *os.File
	mu   sync.Mutex
	w, h int // the size the UI was last told
}

// pollEvery is how soon a resize only the pty heard of reaches the UI.
const pollEvery = 250 * time.Millisecond

// filter sees every message before the UI does: window sizes resize the
// pty, and a suspend (Ctrl-Z) is refused, as it would stop the server.
func (z *sizeSync) filter(_ tea.Model, msg tea.Msg) tea.Msg {
	switch msg := msg.(type) {
	case tea.SuspendMsg:
		return tea.ResumeMsg{}
	case tea.WindowSizeMsg:
		z.mu.Lock()
		z.w, z.h = msg.Width, msg.Height
		z.mu.Unlock()
		if w, h, err := z.size(); err == nil && (w != msg.Width || h != msg.Height) {
			z.resize(msg.Width, msg.Height)
		}
	}
	return msg
}

// size reads the pty's size.
func (z *sizeSync) size() (w, h int, err error) {
	var ws *unix.Winsize
	err = z.control(func(fd int) (err error) {
		ws, err = unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return int(ws.Col), int(ws.Row), nil
}

// resize sets the pty's size; the editor, if one runs, hears of it.
func (z *sizeSync) resize(w, h int) {
	_ = z.control(func(fd int) error {
		return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(w), Row: uint16(h)})
	})
}

// control runs fn on the terminal's descriptor, which stays open while it
// runs (Fd would not promise that, and would make it blocking).
func (z *sizeSync) control(fn func(fd int) error) error {
	conn, err := z.tty.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := conn.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// poll tells p of a size the pty has and the UI was not told, until ctx
// ends.
func (z *sizeSync) poll(ctx context.Context, p *tea.Program) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w, h, err := z.size()
		if err != nil || w == 0 || h == 0 {
			continue
		}
		z.mu.Lock()
		stale := w != z.w || h != z.h
		z.mu.Unlock()
		if stale {
			p.Send(tea.WindowSizeMsg{Width: w, Height: h})
		}
	}
}

// openTTY is the server's own descriptor for the slave side of the
// session's terminal. The SSH library closes its own when the connection
// goes, which may be while the UI still reads from it; a duplicate stays
// open until the server is done with it, and reads end with an error once
// the other side is gone.
func openTTY(pty ssh.Pty) (*os.File, error) {
	if pty.Slave == nil {
		return nil, errors.New("the session has no terminal on the server")
	}
	conn, err := pty.Slave.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup := -1
	var derr error
	if err := conn.Control(func(fd uintptr) { dup, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	return os.NewFile(uintptr(dup), pty.Slave.Name()), nil
}
