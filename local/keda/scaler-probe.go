// The scaler probe: KEDA's own code path from a ScaledObject to the external metric its metrics
// server would serve the HPA, run against a Kubernetes API server.
//
// It reads the ScaledObject and, through KEDA's resolver, its TriggerAuthentication, the Secrets
// that one references and the scale target's pod template, builds the scalers with KEDA's scale
// handler, and prints one JSON line per poll: each metric's value, the HPA target per replica
// (spec.external.target.averageValue) and whether the scaler is active. Built by
// local/keda/build.ts in a generated module that requires KEDA at the stacks' pin; nothing of
// KEDA's source lives in this repository.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	"github.com/kedacore/keda/v2/pkg/scalers/authentication"
	"github.com/kedacore/keda/v2/pkg/scaling"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

type metricLine struct {
	Name          string  `json:"name"`
	Value         float64 `json:"value"`
	TargetAverage float64 `json:"targetAverageValue"`
}

type pollLine struct {
	Time    string       `json:"time"`
	Active  bool         `json:"active"`
	Metrics []metricLine `json:"metrics"`
	Error   string       `json:"error,omitempty"`
}

func main() {
	// A flag set of its own: controller-runtime registers --kubeconfig on the global one.
	flags := flag.NewFlagSet("scaler-probe", flag.ExitOnError)
	kubeconfig := flags.String("kubeconfig", "", "kubeconfig of the API server holding the objects")
	namespace := flags.String("namespace", "", "the ScaledObject's namespace")
	name := flags.String("name", "", "the ScaledObject's name")
	interval := flags.Duration("interval", time.Second, "time between polls")
	_ = flags.Parse(os.Args[1:])
	if *kubeconfig == "" || *namespace == "" || *name == "" {
		fmt.Fprintln(os.Stderr, "usage: scaler-probe --kubeconfig FILE --namespace NS --name SCALEDOBJECT [--interval 1s]")
		os.Exit(2)
	}
	ctrl.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, *kubeconfig, *namespace, *name, *interval); err != nil {
		fmt.Fprintln(os.Stderr, "scaler-probe:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig, namespace, name string, interval time.Duration) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := kedav1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	kube, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	so := &kedav1alpha1.ScaledObject{}
	if err := kube.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, so); err != nil {
		return fmt.Errorf("reading ScaledObject %s/%s: %w", namespace, name, err)
	}
	// KEDA's operator records the target's kind in the status when it reconciles the object; no
	// operator runs here, so the probe records what it would (a Deployment of apps/v1).
	if so.Status.ScaleTargetGVKR == nil {
		so.Status.ScaleTargetGVKR = &kedav1alpha1.GroupVersionKindResource{
			Group: "apps", Version: "v1", Kind: "Deployment", Resource: "deployments",
		}
	}
	handler := scaling.NewScaleHandler(kube, nil, scheme, 5*time.Second, events.NewFakeRecorder(100),
		&authentication.AuthClientSet{CoreV1Interface: clientset.CoreV1()})
	cache, err := handler.GetScalersCache(ctx, so)
	if err != nil {
		return fmt.Errorf("building the scalers of %s/%s: %w", namespace, name, err)
	}
	defer cache.Close(context.Background())
	scalers, _ := cache.GetScalers()
	out := json.NewEncoder(os.Stdout)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		line := pollLine{Time: time.Now().UTC().Format(time.RFC3339Nano)}
		for i := range scalers {
			specs, err := cache.GetMetricSpecForScalingForScaler(ctx, i)
			if err != nil {
				line.Error = err.Error()
				continue
			}
			for _, spec := range specs {
				if spec.External == nil {
					continue
				}
				values, active, _, err := cache.GetMetricsAndActivityForScaler(ctx, i, spec.External.Metric.Name)
				if err != nil {
					line.Error = err.Error()
					continue
				}
				line.Active = line.Active || active
				target := 0.0
				if spec.External.Target.AverageValue != nil {
					target = spec.External.Target.AverageValue.AsApproximateFloat64()
				}
				for _, v := range values {
					line.Metrics = append(line.Metrics, metricLine{
						Name: spec.External.Metric.Name, Value: v.Value.AsApproximateFloat64(), TargetAverage: target,
					})
				}
			}
		}
		if err := out.Encode(line); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}
