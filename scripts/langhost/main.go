// pulumi-language-python as scripts/install-pulumi installs it: today's CLI in front, the v3.79.0 Python language
// host behind (the newest the Go module proxy serves; see README, "Installing the CLI").
//
// Two things changed between that host and today's CLI, and this front end bridges both:
//   - the CLI no longer passes the project's runtime options (`virtualenv`) and root on the command line: they are
//     read here from Pulumi.yaml and passed to the host as it expects;
//   - RunPlugin (how the CLI starts a policy pack) names the plugin only in the request's ProgramInfo, a field the old
//     host does not know: the front end puts the plugin's directory where the old host reads it.
//
// Every other call is forwarded as it is.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const backendName = "pulumi-language-python-v3.79.0"

type frontEnd struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	host pulumirpc.LanguageRuntimeClient
}

func main() {
	if len(os.Args) < 2 {
		cmdutil.Exit(fmt.Errorf("usage: pulumi-language-python <engine address>"))
	}
	engine := os.Args[len(os.Args)-1]
	host, err := startBackend(engine)
	if err != nil {
		cmdutil.Exit(err)
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &frontEnd{host: host})
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host front end: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(err)
	}
}

// startBackend runs the old host with the flags CLIs of its time passed, and connects to it.
func startBackend(engine string) (pulumirpc.LanguageRuntimeClient, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	args := []string{"-root=" + cwd}
	if venv := virtualenvOption(cwd); venv != "" {
		args = append(args, "-virtualenv="+venv)
	}
	cmd := exec.Command(filepath.Join(filepath.Dir(self), backendName), append(args, engine)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", backendName, err)
	}
	port, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("%s did not print its port: %w", backendName, err)
	}
	go func() { _, _ = io.Copy(os.Stdout, out) }()
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return pulumirpc.NewLanguageRuntimeClient(conn), nil
}

// virtualenvOption is the `virtualenv` runtime option of the project (or policy pack) in dir, if any.
func virtualenvOption(dir string) string {
	var runtime *workspace.ProjectRuntimeInfo
	if path, err := workspace.DetectProjectPathFrom(dir); err == nil && path != "" {
		if project, err := workspace.LoadProject(path); err == nil {
			runtime = &project.Runtime
		}
	} else if policy, err := workspace.LoadPolicyPack(filepath.Join(dir, "PulumiPolicy.yaml")); err == nil {
		runtime = &policy.Runtime
	}
	if runtime == nil {
		return ""
	}
	if venv, ok := runtime.Options()["virtualenv"].(string); ok {
		return venv
	}
	return ""
}

func (f *frontEnd) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return f.host.GetRequiredPlugins(ctx, req)
}

func (f *frontEnd) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return f.host.GetRequiredPackages(ctx, req)
}

func (f *frontEnd) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	return f.host.Run(ctx, req)
}

func (f *frontEnd) GetPluginInfo(ctx context.Context, req *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return f.host.GetPluginInfo(ctx, req)
}

func (f *frontEnd) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return f.host.About(ctx, req)
}

func (f *frontEnd) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return f.host.GetProgramDependencies(ctx, req)
}

func (f *frontEnd) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, stream pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	upstream, err := f.host.InstallDependencies(stream.Context(), req)
	if err != nil {
		return err
	}
	return relay(upstream.Recv, stream.Send)
}

func (f *frontEnd) RunPlugin(req *pulumirpc.RunPluginRequest, stream pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetProgram() == "" && req.GetInfo().GetProgramDirectory() != "" {
		req.Program = req.GetInfo().GetProgramDirectory() // python <dir> runs the plugin's __main__.py
	}
	upstream, err := f.host.RunPlugin(stream.Context(), req)
	if err != nil {
		return err
	}
	return relay(upstream.Recv, stream.Send)
}

func relay[T any](recv func() (*T, error), send func(*T) error) error {
	for {
		msg, err := recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := send(msg); err != nil {
			return err
		}
	}
}
