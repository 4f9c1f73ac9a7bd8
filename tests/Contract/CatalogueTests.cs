using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// The semantics catalogue (docs/JETSTREAM-SEMANTICS.md) is the reference every scenario name and comment cites: each
/// S-number used in code, tests or docs must be a statement of it.
/// </summary>
public sealed partial class CatalogueTests
{
    [Fact]
    public void Catalogue_DefinesEachStatementOnce()
    {
        var defined = DefinedStatements();

        defined.Should().OnlyHaveUniqueItems();
        defined.Should().HaveCountGreaterThan(100).And.Contain(1).And.Contain(114);
    }

    [Fact]
    public void EveryCitedSNumber_ResolvesInTheCatalogue()
    {
        var defined = DefinedStatements().ToHashSet();
        var root = RepositoryRoot();
        var unresolved = new List<string>();
        var cited = 0;
        foreach (var file in SourceFiles(root))
        {
            var text = File.ReadAllText(file);
            foreach (Match m in Citation().Matches(text))
            {
                cited++;
                var number = int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (!defined.Contains(number))
                {
                    unresolved.Add($"{Path.GetRelativePath(root, file)}: {m.Value}");
                }
            }
        }

        cited.Should().BeGreaterThan(100, "the suite cites the catalogue throughout");
        unresolved.Should().BeEmpty("every S-number must be a statement of docs/JETSTREAM-SEMANTICS.md");
    }

    private static List<int> DefinedStatements()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "JETSTREAM-SEMANTICS.md"));
        return [.. Definition().Matches(text).Select(m => int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    private static IEnumerable<string> SourceFiles(string root)
    {
        foreach (var top in new[] { "src", "tests", "samples", "bench", "docs" })
        {
            var dir = Path.Combine(root, top);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(dir, "*.*", SearchOption.AllDirectories))
            {
                var sep = Path.DirectorySeparatorChar;
                if ((file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".md", StringComparison.Ordinal))
                    && !file.Contains($"{sep}bin{sep}", StringComparison.Ordinal)
                    && !file.Contains($"{sep}obj{sep}", StringComparison.Ordinal))
                {
                    yield return file;
                }
            }
        }

        yield return Path.Combine(root, "README.md");
    }

    /// <summary>The repository's root: the folder of Goflux.Testable.sln above the test's build output.</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Goflux.Testable.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Goflux.Testable.sln above {AppContext.BaseDirectory}: the test must run from the repository's build output.");
    }

    /// <summary>A statement's definition: a bold <c>**S-NN Title.**</c> at the start of a line.</summary>
    [GeneratedRegex(@"^\*\*S-(?<n>\d{2,3}) ", RegexOptions.Multiline)]
    private static partial Regex Definition();

    /// <summary>A citation: <c>S-NN</c> in prose, or <c>SNN_</c> at the start of a scenario name.</summary>
    [GeneratedRegex(@"\bS-(?<n>\d{1,3})\b|\bS(?<n>\d{2,3})_")]
    private static partial Regex Citation();
}
