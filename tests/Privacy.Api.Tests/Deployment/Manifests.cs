using System.Collections;
using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Privacy.Api.Platform.Database;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Privacy.Api.Tests.Deployment;

/// <summary>
/// The Kubernetes manifests under <c>deploy/kubernetes</c>, rendered by <c>kubectl kustomize</c> when kubectl is on the
/// PATH (no cluster needed), otherwise by a small reader of the kustomizations' resources, namespace, patches and images.
/// </summary>
public static class Manifests
{
    public static readonly string Root = FindRepositoryRoot();
    public static readonly string Kubernetes = Path.Combine(Root, "deploy", "kubernetes");
    public static readonly string ExampleSecrets = Path.Combine(Kubernetes, "secrets", "privacy-api-secrets.example.yaml");

    private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

    public static string? Kubectl { get; } = Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, "kubectl")).FirstOrDefault(File.Exists);

    /// <summary>The objects a kustomization directory (relative to deploy/kubernetes) renders to.</summary>
    public static List<JsonObject> Render(string kustomization) =>
        Kubectl is null ? ReadWithoutKubectl(kustomization) : RenderWithKubectl(kustomization);

    /// <summary>The reader used without kubectl: resources, namespace, patches (merged by name) and images, nothing more.</summary>
    public static List<JsonObject> ReadWithoutKubectl(string kustomization) => RenderWithoutKubectl(Path.Combine(Kubernetes, kustomization));

    public static List<JsonObject> RenderWithKubectl(string kustomization)
    {
        var start = new ProcessStartInfo(Kubectl!) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(Path.Combine(Kubernetes, kustomization));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {kustomization} failed: {error}");
        return Parse(output.Result);
    }

    /// <summary>Every document of a (multi-document) YAML text, as JSON objects whose scalars are all strings.</summary>
    public static List<JsonObject> Parse(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var documents = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (ToJson(Yaml.Deserialize<object?>(parser)) is JsonObject document)
            {
                documents.Add(document);
            }
        }

        return documents;
    }

    public static List<JsonObject> ParseFile(string path) => Parse(File.ReadAllText(path));

    public static JsonObject Single(this IEnumerable<JsonObject> objects, string kind, string name) =>
        Assert.Single(objects, o => Str(o["kind"]) == kind && Str(o["metadata"]?["name"]) == name);

    public static IEnumerable<JsonObject> OfKind(this IEnumerable<JsonObject> objects, string kind) =>
        objects.Where(o => Str(o["kind"]) == kind);

    public static string? Str(JsonNode? node) => node?.GetValue<string>();

    public static int Int(JsonNode? node) => int.Parse(Str(node) ?? throw new InvalidOperationException("missing number"));

    public static IEnumerable<JsonObject> Objects(JsonNode? array) => array?.AsArray().Select(n => n!.AsObject()) ?? [];

    public static Dictionary<string, string> Map(JsonNode? map) =>
        map?.AsObject().ToDictionary(p => p.Key, p => Str(p.Value) ?? "") ?? [];

    /// <summary>
    /// What an environment variable of the container is to the service, or an error. The host reads
    /// <c>ASPNETCORE_ENVIRONMENT</c> and <c>ASPNETCORE_HTTP_PORTS</c>; everything else must be
    /// <c>ConnectionStrings__Privacy</c> or a path through an options class's section (found by reflection:
    /// every <c>*Options</c> class with a <c>Section</c> constant) to a scalar property, with list indexes.
    /// </summary>
    public static (Type? Type, string? Error) ConfigurationKey(string variable)
    {
        if (variable is "ASPNETCORE_ENVIRONMENT" or "ASPNETCORE_HTTP_PORTS")
        {
            return (typeof(string), null);
        }

        var path = variable.Split("__");
        if (path[0] == "ConnectionStrings")
        {
            return path is [_, DatabaseSetup.ConnectionStringName] ? (typeof(string), null) : (null, $"{variable}: no such connection string");
        }

        if (!Sections.Value.TryGetValue(path[0], out var type))
        {
            return (null, $"{variable}: no options class has the section {path[0]}");
        }

        foreach (var segment in path.Skip(1))
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                type = type.GetGenericArguments()[1]; // any key names an entry (DataKeys__ProofHashing__Keys__<id>)
                continue;
            }

            if (ElementType(type) is { } element)
            {
                if (!int.TryParse(segment, out _))
                {
                    return (null, $"{variable}: {segment} is not a list index");
                }

                type = element;
                continue;
            }

            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                return (null, $"{variable}: {type.Name} has no property {segment}");
            }

            type = property.PropertyType;
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal)
            ? (type, null)
            : (null, $"{variable}: ends at {type.Name}, not at a setting");
    }

    /// <summary>Whether the configuration binder can turn the text into the setting's type.</summary>
    public static bool Converts(Type type, string value)
    {
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static readonly Lazy<Dictionary<string, Type>> Sections = new(() => typeof(DatabaseSetup).Assembly.GetTypes()
        .Where(t => t.Name.EndsWith("Options", StringComparison.Ordinal))
        .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
        .Where(s => s.Field is { IsLiteral: true } && s.Field.FieldType == typeof(string))
        .ToDictionary(s => (string)s.Field!.GetRawConstantValue()!, s => s.Type));

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType ? type.GetGenericArguments()[0]
        : null;

    private static List<JsonObject> RenderWithoutKubectl(string directory)
    {
        var kustomization = Assert.Single(ParseFile(Path.Combine(directory, "kustomization.yaml")));
        var objects = new List<JsonObject>();
        foreach (var resource in kustomization["resources"]!.AsArray().Select(Str))
        {
            var path = Path.GetFullPath(Path.Combine(directory, resource!));
            objects.AddRange(Directory.Exists(path) ? RenderWithoutKubectl(path) : ParseFile(path));
        }

        foreach (var patch in Objects(kustomization["patches"]).Select(p => Assert.Single(ParseFile(Path.Combine(directory, Str(p["path"])!)))))
        {
            MergeInto(objects.Single(Str(patch["kind"])!, Str(patch["metadata"]!["name"])!), patch);
        }

        foreach (var image in Objects(kustomization["images"]))
        {
            var containers = objects.OfKind("Deployment").SelectMany(d => Objects(d["spec"]!["template"]!["spec"]!["containers"]));
            foreach (var container in containers.Where(c => Str(c["image"])!.Split(':', '@')[0] == Str(image["name"])))
            {
                container["image"] = $"{Str(image["newName"])}:{Str(image["newTag"])}";
            }
        }

        if (Str(kustomization["namespace"]) is { } ns)
        {
            foreach (var o in objects.Where(o => Str(o["kind"]) != "Namespace"))
            {
                o["metadata"]!["namespace"] = ns;
            }
        }

        return objects;
    }

    /// <summary>A strategic merge as far as these manifests need it: maps merged, lists of named items merged by name.</summary>
    private static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is JsonObject map && target[key] is JsonObject existing)
            {
                MergeInto(existing, map);
            }
            else if (value is JsonArray items && target[key] is JsonArray current && items.All(i => i?["name"] is not null))
            {
                foreach (var item in Objects(items))
                {
                    if (Objects(current).FirstOrDefault(c => Str(c["name"]) == Str(item["name"])) is { } same)
                    {
                        MergeInto(same, item);
                    }
                    else
                    {
                        current.Add(item.DeepClone());
                    }
                }
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    private static JsonNode? ToJson(object? yaml) => yaml switch
    {
        null => null,
        IDictionary<object, object> map => new JsonObject(map.Select(p => KeyValuePair.Create((string)p.Key, ToJson(p.Value)))),
        IList<object> list => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(Convert.ToString(yaml, System.Globalization.CultureInfo.InvariantCulture)),
    };

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Privacy.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Privacy.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
