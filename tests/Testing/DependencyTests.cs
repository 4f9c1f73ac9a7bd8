using System.Text.Json;

namespace Goflux.Testing.Tests;

/// <summary>The kit's core depends on no assertion library; its FluentAssertions assertions come in a package of their own.</summary>
public sealed class DependencyTests
{
    [Fact]
    public void GofluxTesting_DependencyClosure_HasNoAssertionLibrary()
    {
        var core = DependencyClosure("Goflux.Testing");
        var assertions = DependencyClosure("Goflux.Testing.FluentAssertions");

        core.Should().Contain(["Goflux.InMemory", "Goflux.JetStream", "Goflux.Hosting"], "the closure was read from the graph");
        core.Should().NotContain("FluentAssertions", "users on FluentAssertions 8, AwesomeAssertions or Shouldly are not forced onto 7");
        assertions.Should().Contain(["FluentAssertions", "Goflux.Testing"]);
    }

    private static HashSet<string> DependencyClosure(string root)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Goflux.Testing.Tests.deps.json");
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
