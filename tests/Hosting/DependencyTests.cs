using System.Text.Json;

namespace Goflux.Hosting.Tests;

/// <summary>Production carries production code only: what Goflux.Hosting brings into an application.</summary>
public sealed class DependencyTests
{
    [Fact]
    public void GofluxHosting_DependencyClosure_HasNoEngineAndNoTestingPackage()
    {
        // This test project's deps.json holds the resolved graph; Goflux.Hosting's node and everything under it is what
        // the Hosting package brings into a worker (the test project's own references to the kit are not under it).
        var closure = DependencyClosure("Goflux.Hosting");

        closure.Should().Contain(["Goflux.Abstractions", "Goflux.JetStream", "NATS.Client.JetStream"], "the closure was read from the graph");
        closure.Should().NotContain("Goflux.InMemory", "the engine comes with its own package, never with Hosting");
        closure.Should().NotContain("Microsoft.Extensions.TimeProvider.Testing", "a test-only package must not reach production");
        closure.Should().NotContain(name => name.StartsWith("Goflux.Testing", StringComparison.Ordinal));
    }

    private static HashSet<string> DependencyClosure(string root)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Goflux.Hosting.Tests.deps.json");
        using var deps = JsonDocument.Parse(File.ReadAllText(path));
        var target = deps.RootElement.GetProperty("targets").EnumerateObject().Single().Value;
        var byName = target.EnumerateObject().ToDictionary(l => l.Name[..l.Name.IndexOf('/', StringComparison.Ordinal)], l => l.Value);
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([root]);
        while (pending.TryPop(out var name))
        {
            if (!byName.TryGetValue(name, out var library) || !library.TryGetProperty("dependencies", out var dependencies))
            {
                continue;
            }

            foreach (var dependency in dependencies.EnumerateObject())
            {
                if (closure.Add(dependency.Name))
                {
                    pending.Push(dependency.Name);
                }
            }
        }

        return closure;
    }
}
