using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static Privacy.Api.Tests.Deployment.Manifests;

namespace Privacy.Api.Tests.Deployment;

/// <summary>
/// The Kubernetes manifests hold together: what the Deployment references exists, the Service, budget and autoscaler
/// point at its pods, the probes hit the health endpoints on the port the service listens on, and every environment
/// variable is a setting the service reads. No cluster and no network: <c>kubectl kustomize</c> only renders.
/// </summary>
public sealed partial class ManifestTests
{
    private const string App = "privacy-api";

    public static TheoryData<string> Kustomizations => new() { "base", "overlays/production" };

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void EverySecretAndConfigMapTheDeploymentReadsExistsWithTheKeysItReads(string kustomization)
    {
        var objects = Render(kustomization);
        var container = Container(objects);
        var secrets = ParseFile(ExampleSecrets);

        // Real secrets never come from the repository: the rendered output has none, the examples stand for them.
        Assert.Empty(objects.OfKind("Secret"));
        foreach (var name in Objects(container["envFrom"]).Select(e => Str(e["configMapRef"]?["name"])).OfType<string>())
        {
            objects.Single("ConfigMap", name);
        }

        foreach (var name in Objects(container["envFrom"]).Select(e => Str(e["secretRef"]?["name"])).OfType<string>())
        {
            Assert.NotEmpty(Map(secrets.Single("Secret", name)["stringData"]));
        }

        foreach (var source in Objects(container["env"]).Select(e => e["valueFrom"]).OfType<JsonObject>())
        {
            var (kind, reference, data, from) = source["secretKeyRef"] is JsonObject s
                ? ("Secret", s, "stringData", secrets)
                : ("ConfigMap", source["configMapKeyRef"]!.AsObject(), "data", objects);
            var keys = Map(from.Single(kind, Str(reference["name"])!)[data]);
            Assert.True(keys.ContainsKey(Str(reference["key"])!), $"{kind} {Str(reference["name"])} has no key {Str(reference["key"])}");
        }

        // References resolve only within a namespace: every object, and the Secrets, in privacy.
        Assert.All(objects.Where(o => Str(o["kind"]) != "Namespace"), o => Assert.Equal("privacy", Str(o["metadata"]!["namespace"])));
        Assert.All(secrets, s => Assert.Equal("privacy", Str(s["metadata"]!["namespace"])));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void EveryEnvironmentVariableIsASettingOfTheServiceWithAValueOfItsType(string kustomization)
    {
        var objects = Render(kustomization);
        var container = Container(objects);
        var secrets = ParseFile(ExampleSecrets);
        var variables = new List<(string Name, string? Value)>();
        foreach (var from in Objects(container["envFrom"]))
        {
            variables.AddRange(from["configMapRef"] is { } configMap
                ? Map(objects.Single("ConfigMap", Str(configMap["name"])!)["data"]).Select(p => (p.Key, (string?)p.Value))
                : Map(secrets.Single("Secret", Str(from["secretRef"]!["name"])!)["stringData"]).Select(p => (p.Key, (string?)null)));
        }

        variables.AddRange(Objects(container["env"]).Select(e => (Str(e["name"])!, Str(e["value"]))));

        Assert.Contains(variables, v => v.Name == "ConnectionStrings__Privacy");
        // Fail closed: each use of the data keys has its key and names the current one.
        foreach (var use in new[] { "ProofHashing", "IdentityNumberHashing", "SecretEncryption" })
        {
            Assert.Contains(variables, v => v.Name.StartsWith($"DataKeys__{use}__Keys__", StringComparison.Ordinal));
            Assert.Contains(variables, v => v.Name == $"DataKeys__{use}__Current" && v.Value is { Length: > 0 });
        }

        Assert.Contains(variables, v => v.Name.StartsWith("ApiKeys__Keys__0__Hash", StringComparison.Ordinal));
        Assert.All(variables, v =>
        {
            var (type, error) = ConfigurationKey(v.Name);
            Assert.True(error is null, error);
            // Literal values (not the secrets' placeholders) must bind: "1m" is no TimeSpan.
            Assert.True(v.Value is null || Converts(type!, v.Value), $"{v.Name}: '{v.Value}' is no {type!.Name}");
        });
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void TheServicePodsAndProbesMeetOnThePortTheServiceListensOn(string kustomization)
    {
        var objects = Render(kustomization);
        var deployment = objects.Single("Deployment", App);
        var podLabels = Map(deployment["spec"]!["template"]!["metadata"]!["labels"]);
        var container = Container(objects);
        var ports = Objects(container["ports"]).ToDictionary(p => Str(p["name"])!, p => Int(p["containerPort"]));
        var listening = int.Parse(Assert.Single(Objects(container["env"]), e => Str(e["name"]) == "ASPNETCORE_HTTP_PORTS")["value"]!.GetValue<string>());
        var dockerfile = DockerfilePort().Match(File.ReadAllText(Path.Combine(Root, "Dockerfile")));

        Assert.Equal(listening, int.Parse(dockerfile.Groups[1].Value));
        Assert.Equal([listening], ports.Values);
        AssertSelects(Map(deployment["spec"]!["selector"]!["matchLabels"]), podLabels);

        var service = objects.Single("Service", App);
        AssertSelects(Map(service["spec"]!["selector"]), podLabels);
        Assert.All(Objects(service["spec"]!["ports"]), p => Assert.Equal(listening, Port(p["targetPort"], ports)));

        Assert.Equal("/health/live", Str(container["livenessProbe"]!["httpGet"]!["path"]));
        Assert.Equal("/health/ready", Str(container["readinessProbe"]!["httpGet"]!["path"]));
        Assert.Equal("/health/ready", Str(container["startupProbe"]!["httpGet"]!["path"]));
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            Assert.Equal(listening, Port(container[probe]!["httpGet"]!["port"], ports));
        }
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public void PodsRunNonRootReadOnlyWithRequestsAndAMemoryLimit(string kustomization)
    {
        var objects = Render(kustomization);
        var pod = objects.Single("Deployment", App)["spec"]!["template"]!["spec"]!;
        var container = Container(objects);

        Assert.Equal("true", Str(pod["securityContext"]!["runAsNonRoot"]));
        Assert.Equal("true", Str(container["securityContext"]!["readOnlyRootFilesystem"]));
        Assert.Equal("false", Str(container["securityContext"]!["allowPrivilegeEscalation"]));
        var volumes = Objects(pod["volumes"]).Select(v => Str(v["name"])).ToHashSet();
        Assert.All(Objects(container["volumeMounts"]), m => Assert.Contains(Str(m["name"]), volumes));
        Assert.Contains(Objects(container["volumeMounts"]), m => Str(m["mountPath"]) == "/tmp");

        Assert.NotNull(Str(container["resources"]?["requests"]?["cpu"]));
        Assert.NotNull(Str(container["resources"]?["requests"]?["memory"]));
        Assert.NotNull(Str(container["resources"]?["limits"]?["memory"]));
    }

    [Fact]
    public void ProductionRunsThreeReplicasOrMoreUnderABudgetAndAnAutoscalerOfItsDeployment()
    {
        var objects = Render("overlays/production");
        var deployment = objects.Single("Deployment", App);
        var podLabels = Map(deployment["spec"]!["template"]!["metadata"]!["labels"]);
        var replicas = Int(deployment["spec"]!["replicas"]);
        Assert.True(replicas >= 3, $"{replicas} replicas");

        var budget = Assert.Single(objects.OfKind("PodDisruptionBudget"));
        AssertSelects(Map(budget["spec"]!["selector"]!["matchLabels"]), podLabels);
        Assert.True(budget["spec"]!["maxUnavailable"] is { } max ? Int(max) == 1 : Int(budget["spec"]!["minAvailable"]) is >= 2 and var min && min < replicas,
            "the budget keeps two pods or more and still lets one go");

        var autoscaler = Assert.Single(objects.OfKind("HorizontalPodAutoscaler"));
        var target = autoscaler["spec"]!["scaleTargetRef"]!;
        Assert.Equal(("apps/v1", "Deployment", App), (Str(target["apiVersion"]), Str(target["kind"]), Str(target["name"])));
        Assert.True(Int(autoscaler["spec"]!["minReplicas"]) >= 3);
        Assert.True(Int(autoscaler["spec"]!["maxReplicas"]) > Int(autoscaler["spec"]!["minReplicas"]));
        Assert.Equal(replicas, Int(autoscaler["spec"]!["minReplicas"]));
        Assert.Contains(Objects(autoscaler["spec"]!["metrics"]), m => Str(m["resource"]?["name"]) == "cpu");

        var pod = deployment["spec"]!["template"]!["spec"]!;
        Assert.NotEmpty(Objects(pod["topologySpreadConstraints"]));
        Assert.All(Objects(pod["topologySpreadConstraints"]), c => AssertSelects(Map(c["labelSelector"]!["matchLabels"]), podLabels));
        Assert.NotNull(pod["affinity"]?["podAntiAffinity"]);

        var image = Str(Container(objects)["image"])!;
        Assert.Matches(@"^[a-z0-9.-]+(:\d+)?/[^:@]+(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$", image);
        Assert.DoesNotContain(":latest", image);
        Assert.DoesNotContain(":dev", image);
    }

    [Fact]
    public void TheReaderWithoutKubectlRendersWhatKustomizeRenders()
    {
        if (Kubectl is null)
        {
            return; // nothing to compare with; the other tests ran on the reader
        }

        foreach (var kustomization in new[] { "base", "overlays/production" })
        {
            var rendered = RenderWithKubectl(kustomization);
            var read = ReadWithoutKubectl(kustomization);
            Assert.Equal(Identities(rendered), Identities(read));
            Assert.True(JsonNode.DeepEquals(Container(rendered), Container(read)),
                $"{kustomization}: kustomize renders {Container(rendered).ToJsonString()}, the reader {Container(read).ToJsonString()}");
        }
    }

    private static IEnumerable<string> Identities(List<JsonObject> objects) =>
        objects.Select(o => $"{Str(o["kind"])}/{Str(o["metadata"]!["namespace"])}/{Str(o["metadata"]!["name"])}").Order();

    private static JsonObject Container(List<JsonObject> objects) =>
        Assert.Single(Objects(objects.Single("Deployment", App)["spec"]!["template"]!["spec"]!["containers"]), c => Str(c["name"]) == App);

    /// <summary>A port given by name or number, as the container port it reaches.</summary>
    private static int Port(JsonNode? port, Dictionary<string, int> containerPorts)
    {
        var value = Str(port)!;
        if (int.TryParse(value, out var number))
        {
            return number;
        }

        Assert.True(containerPorts.TryGetValue(value, out number), $"no container port is named {value}");
        return number;
    }

    private static void AssertSelects(Dictionary<string, string> selector, Dictionary<string, string> labels)
    {
        Assert.NotEmpty(selector);
        Assert.All(selector, s => Assert.True(labels.TryGetValue(s.Key, out var v) && v == s.Value, $"the pods lack the label {s.Key}={s.Value}"));
    }

    [GeneratedRegex(@"ENV ASPNETCORE_HTTP_PORTS=(\d+)")]
    private static partial Regex DockerfilePort();
}
