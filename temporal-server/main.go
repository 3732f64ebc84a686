// The Temporal server as the platform runs it: upstream's server (go.temporal.io/server at the
// pinned version) with the platform's authorization (authorization.go) when
// TEMPORAL_AUTHORIZATION_POLICY names a policy file. Its command line is upstream's, so it replaces
// temporal-server in the upstream image and under the Helm chart unchanged.
package main

import (
	"fmt"
	"os"
	"path"
	"strings"
	_ "time/tzdata"

	"github.com/urfave/cli/v2"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/headers"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	_ "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/temporal"
)

// PolicyEnv names the authorization policy file; unset, the server authorizes as its config says.
const PolicyEnv = "TEMPORAL_AUTHORIZATION_POLICY"

func main() {
	app := cli.NewApp()
	app.Name = "temporal"
	app.Usage = "Temporal server with the platform's authorization"
	app.Version = headers.ServerVersion
	app.Flags = []cli.Flag{
		&cli.StringFlag{Name: "root", Aliases: []string{"r"}, Value: ".", EnvVars: []string{config.EnvKeyRoot}},
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Value: "config", EnvVars: []string{config.EnvKeyConfigDir}},
		&cli.StringFlag{Name: "env", Aliases: []string{"e"}, Value: "development", EnvVars: []string{config.EnvKeyEnvironment}},
		&cli.StringFlag{Name: "zone", Aliases: []string{"az"}, EnvVars: []string{config.EnvKeyAvailabilityZone}},
		&cli.StringFlag{Name: "config-file", EnvVars: []string{config.EnvKeyConfigFile}},
		&cli.BoolFlag{Name: "allow-no-auth", EnvVars: []string{config.EnvKeyAllowNoAuth}},
	}
	app.Commands = []*cli.Command{{
		Name:  "start",
		Usage: "Start Temporal server",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{
				Name:    "service",
				Aliases: []string{"svc"},
				Value:   cli.NewStringSlice(temporal.DefaultServices...),
				EnvVars: []string{"TEMPORAL_SERVICES"},
			},
			&cli.StringFlag{Name: "services", Aliases: []string{"s"}, Hidden: true},
		},
		Action: start,
	}}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func loadConfig(c *cli.Context) (*config.Config, error) {
	if c.IsSet("config-file") {
		return config.Load(config.WithConfigFile(c.String("config-file")))
	}
	return config.Load(
		config.WithEnv(c.String("env")),
		config.WithConfigDir(path.Join(c.String("root"), c.String("config"))),
		config.WithZone(c.String("zone")),
	)
}

func start(c *cli.Context) error {
	services := c.StringSlice("service")
	if c.IsSet("services") {
		services = strings.Split(c.String("services"), ",")
	}
	cfg, err := loadConfig(c)
	if err != nil {
		return cli.Exit(fmt.Sprintf("Unable to load configuration: %v.", err), 1)
	}
	logger := log.NewZapLogger(log.BuildZapLogger(cfg.Log))

	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return cli.Exit(fmt.Sprintf("Unable to instantiate authorizer: %v", err), 1)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return cli.Exit(fmt.Sprintf("Unable to instantiate claim mapper: %v.", err), 1)
	}
	if file := os.Getenv(PolicyEnv); file != "" {
		policy, err := LoadPolicy(file)
		if err != nil {
			return cli.Exit(fmt.Sprintf("%s: %v", PolicyEnv, err), 1)
		}
		logger.Info("Platform authorization on.", tag.NewStringsTag("identities", policy.identityNames()))
		authorizer = policyAuthorizer{policy: policy, log: func(identity, method, namespace string) {
			logger.Warn("Authorization refused.", tag.NewStringTag("identity", identity),
				tag.NewStringTag("method", method), tag.NewStringTag("namespace", namespace))
		}}
		claimMapper = certificateClaimMapper{}
	} else if authorization.IsNoopAuthorizer(authorizer) && !c.Bool("allow-no-auth") {
		logger.Warn("No authorizer and no " + PolicyEnv + ": every client is an administrator.")
	}
	audienceMapper, err := authorization.GetAudienceMapperFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return cli.Exit(fmt.Sprintf("Unable to instantiate audience mapper: %v.", err), 1)
	}
	s, err := temporal.NewServer(
		temporal.ForServices(services),
		temporal.WithConfig(cfg),
		temporal.WithLogger(logger),
		temporal.InterruptOn(temporal.InterruptCh()),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithAudienceGetter(func(*config.Config) authorization.JWTAudienceMapper { return audienceMapper }),
	)
	if err != nil {
		return cli.Exit(fmt.Sprintf("Unable to create server: %v.", err), 1)
	}
	if err := s.Start(); err != nil {
		return cli.Exit(fmt.Sprintf("Unable to start server: %v", err), 1)
	}
	return cli.Exit("All services are stopped.", 0)
}
