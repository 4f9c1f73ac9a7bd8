using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace OrderService.Tests;

/// <summary>
/// The README quotes the samples' code as it is ("Testing your handlers" this project; "Hosting" samples/Worker and its
/// tests, samples/Worker.Tests), so every snippet compiles and runs. Both test projects run this test.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public void Readme_QuotesEverySnippetOfThisProject_Verbatim()
    {
        var samples = SamplesDirectory();
        var readme = File.ReadAllText(Path.Combine(samples, "..", "README.md")).ReplaceLineEndings("\n");
        var snippets = Directory.EnumerateDirectories(samples)
            .SelectMany(project => Directory.EnumerateFiles(project, "*.cs"))
            .SelectMany(file => Snippet().Matches(File.ReadAllText(file).ReplaceLineEndings("\n")))
            .ToDictionary(m => m.Groups["name"].Value, m => Dedent(m.Groups["body"].Value));

        snippets.Keys.Should().Contain(["pure-handler", "engine", "both-backends", "retry-policy", "testing-the-worker", "shipping-registration"]);
        foreach (var (name, body) in snippets)
        {
            readme.Should().Contain("```csharp\n" + body + "\n```", $"the README quotes snippet '{name}' as the code has it");
        }
    }

    // CI builds map source paths (deterministic "/_/" paths), so the caller's file path cannot be opened there: find the
    // samples from the test's output folder instead, and fall back to the compile-time path for other layouts.
    private static string SamplesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "samples");
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && Directory.Exists(Path.Combine(candidate, "OrderService.Tests")))
            {
                return candidate;
            }
        }

        return Path.GetDirectoryName(Path.GetDirectoryName(ThisFile()))!;
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;

    private static string Dedent(string block)
    {
        var lines = block.Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())).TrimEnd();
    }

    [GeneratedRegex(@"// begin-snippet: (?<name>[\w-]+)\n(?<body>.*?)\n[ \t]*// end-snippet", RegexOptions.Singleline)]
    private static partial Regex Snippet();
}
