using System.Reflection;
using System.Text.RegularExpressions;
using FluentAssertions;
using Goflux.InMemory.Server;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// The engine raises no JetStream API error whose description goes unchecked (S-140): every <c>err_code</c> its source
/// names (a <see cref="JetStreamErrorCodes"/> or <see cref="ApiErrors"/> constant, or a number) has a row in
/// <c>ContractSuite.ErrorTexts</c>, which compares code and description with a real server's; a new rule that raises a
/// new code fails here until it has one.
/// </summary>
public sealed partial class ErrorCodeInventoryTests
{
    /// <summary>Codes the engine raises that no test server can be made to send, and why.</summary>
    private static readonly Dictionary<int, string> EngineOnly = new()
    {
        [10076] = "\"JetStream not enabled\": the engine's answer to an API request once it is disposed; a server running JetStream never sends it",
    };

    [Fact]
    public void EveryErrorCodeTheEngineRaises_HasAContractRow()
    {
        var raised = RaisedCodes();
        var rows = ContractSuite.ErrorTextCodes.ToHashSet();

        raised.Should().HaveCountGreaterThan(40, "the engine raises most of the server's configuration and publish errors");
        raised.Except(rows).Except(EngineOnly.Keys).Should().BeEmpty("each err_code raised in src/InMemory needs a row in ContractSuite.ErrorTexts");
        rows.Except(raised).Should().BeEmpty("a row for a code the engine never raises checks nothing of the engine");
        EngineOnly.Keys.Should().BeSubsetOf(raised).And.NotIntersectWith(rows);
    }

    [Fact]
    public void Scanner_FindsCodesInCodeOnly()
    {
        Codes("throw Errors.Api(JetStreamErrorCodes.StreamSealed, \"x\");").Should().Equal(10109);
        Codes("throw new ApiException(ApiErrors.Of(ApiErrors.InvalidJson, \"x\"));").Should().Equal(10025);
        Codes("return Refuse(type, ApiErrors.Of(10076, \"x\"));").Should().Equal(10076);
        Codes("// (10059) in a comment\n/// <exception>10014</exception>\nx = 1 /* 10069 */;").Should().BeEmpty();
        Codes("public const int BadRequest = 10003;").Should().BeEmpty("a declaration raises nothing");
        Codes("ApiErrors.Of(code, text); ApiErrors.From(ex);").Should().BeEmpty("methods are not codes");
    }

    /// <summary>Every code named in the engine's source, outside comments, constant declarations and the table that
    /// maps codes to HTTP-like codes (<c>ApiErrors.HttpCode</c>, which raises nothing).</summary>
    private static HashSet<int> RaisedCodes()
    {
        var codes = new HashSet<int>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(CatalogueTests.RepositoryRoot(), "src", "InMemory"), "*.cs", SearchOption.AllDirectories))
        {
            var sep = Path.DirectorySeparatorChar;
            if (!file.Contains($"{sep}bin{sep}", StringComparison.Ordinal) && !file.Contains($"{sep}obj{sep}", StringComparison.Ordinal))
            {
                codes.UnionWith(Codes(HttpCodeTable().Replace(File.ReadAllText(file), string.Empty)));
            }
        }

        return codes;
    }

    private static List<int> Codes(string source)
    {
        var code = Declaration().Replace(Comment().Replace(source, string.Empty), string.Empty);
        var found = new List<int>();
        foreach (Match m in Reference().Matches(code))
        {
            if (m.Groups["number"].Success)
            {
                found.Add(int.Parse(m.Groups["number"].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (Constant(m.Groups["type"].Value == "ApiErrors" ? typeof(ApiErrors) : typeof(JetStreamErrorCodes), m.Groups["name"].Value) is { } value)
            {
                found.Add(value);
            }
        }

        return found;
    }

    private static int? Constant(Type type, string name)
        => type.GetField(name, BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } f && f.GetRawConstantValue() is int value ? value : null;

    /// <summary>A line comment (<c>//</c>, <c>///</c>) or a block comment.</summary>
    [GeneratedRegex(@"(?m)(^|\s)//[^\n]*|/\*[\s\S]*?\*/")]
    private static partial Regex Comment();

    [GeneratedRegex(@"const int \w+ = \d+;")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"public static int HttpCode\(int errCode\) => errCode switch\s*\{.*?\};", RegexOptions.Singleline)]
    private static partial Regex HttpCodeTable();

    /// <summary>A code: a constant of either table, or a number in the server's range (10000 to 10199).</summary>
    [GeneratedRegex(@"\b(?<type>JetStreamErrorCodes|ApiErrors)\.(?<name>\w+)|\b(?<number>10[01]\d\d)\b")]
    private static partial Regex Reference();
}
