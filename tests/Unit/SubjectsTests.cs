namespace Goflux.Tests;

public class SubjectsTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("orders.created")]
    [InlineData("a.b.c.d")]
    [InlineData("a*")]
    [InlineData("a>")]
    [InlineData("*a.b>")]
    [InlineData("$JS.API.INFO")]
    public void ValidatePublishSubject_LiteralSubject_DoesNotThrow(string subject)
    {
        // Act
        var act = () => Subjects.ValidatePublishSubject(subject);

        // Assert
        act.Should().NotThrow();
        Subjects.IsValidPublishSubject(subject).Should().BeTrue();
    }

    [Fact]
    public void ValidatePublishSubject_Null_ThrowsArgumentNullException()
    {
        // Act
        var act = () => Subjects.ValidatePublishSubject(null!);

        // Assert
        act.Should().Throw<ArgumentNullException>().WithParameterName("subject");
        Subjects.IsValidPublishSubject(null).Should().BeFalse();
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("a..b", "empty token")]
    [InlineData(".a", "empty token")]
    [InlineData("a.", "empty token")]
    [InlineData(".", "empty token")]
    [InlineData("a b", "whitespace")]
    [InlineData(" a", "whitespace")]
    [InlineData("a\tb", "whitespace")]
    [InlineData("a\rb", "whitespace")]
    [InlineData("a\nb", "whitespace")]
    [InlineData("a.b\r\n", "whitespace")]
    [InlineData("a\fb", "whitespace")]
    [InlineData("a\0b", "control character")]
    public void ValidatePublishSubject_Malformed_ThrowsNamingTheProblem(string subject, string problem)
    {
        // Act
        var act = () => Subjects.ValidatePublishSubject(subject, "target");

        // Assert
        act.Should().Throw<ArgumentException>()
            .WithParameterName("target")
            .Which.Message.Should().Contain(problem);
        Subjects.IsValidPublishSubject(subject).Should().BeFalse();
        Subjects.IsValidPattern(subject).Should().BeFalse("a malformed subject is not a valid pattern either");
    }

    [Fact]
    public void ValidatePublishSubject_ControlCharacters_AreEscapedInTheMessage()
    {
        // Act
        var act = () => Subjects.ValidatePublishSubject("a\r\nb\tc");

        // Assert
        act.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain(@"'a\r\nb\tc'").And.NotContain("\r").And.NotContain("\n");
    }

    [Theory]
    [InlineData("a.*", "'*'")]
    [InlineData("*", "'*'")]
    [InlineData("a.>", "'>'")]
    [InlineData(">", "'>'")]
    [InlineData("*.b.c", "'*'")]
    public void ValidatePublishSubject_Wildcard_ThrowsNamingWildcardAndSubject(string subject, string token)
    {
        // Act
        var act = () => Subjects.ValidatePublishSubject(subject);

        // Assert
        act.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("wildcard").And.Contain(token).And.Contain("publish").And.Contain($"'{subject}'");
        Subjects.IsValidPublishSubject(subject).Should().BeFalse();
    }

    [Theory]
    [InlineData("a.*")]
    [InlineData("*")]
    [InlineData(">")]
    [InlineData("a.>")]
    [InlineData("*.*.>")]
    [InlineData("a.*.c")]
    [InlineData("a>.b")]
    [InlineData("a.b")]
    public void ValidatePattern_ValidPattern_DoesNotThrow(string pattern)
    {
        // Act
        var act = () => Subjects.ValidatePattern(pattern);

        // Assert
        act.Should().NotThrow();
        Subjects.IsValidPattern(pattern).Should().BeTrue();
    }

    [Theory]
    [InlineData("a.>.b")]
    [InlineData(">.a")]
    [InlineData(">.>")]
    public void ValidatePattern_FullWildcardNotLast_ThrowsNamingTheRule(string pattern)
    {
        // Act
        var act = () => Subjects.ValidatePattern(pattern);

        // Assert
        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("'>' is allowed only as the last token");
        Subjects.IsValidPattern(pattern).Should().BeFalse();
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a..*", "empty token")]
    [InlineData("a.* ", "whitespace")]
    public void ValidatePattern_Malformed_Throws(string pattern, string problem)
    {
        // Act
        var act = () => Subjects.ValidatePattern(pattern);

        // Assert
        act.Should().Throw<ArgumentException>().WithParameterName("subject").Which.Message.Should().Contain(problem);
    }

    [Theory]
    [InlineData("a", "a", true)]
    [InlineData("a.b", "a.b", true)]
    [InlineData("a.b", "a.B", false)]
    [InlineData("a.b", "a.b.c", false)]
    [InlineData("a.b.c", "a.b", false)]
    [InlineData("*", "a", true)]
    [InlineData("*", "a.b", false)]
    [InlineData("a.*", "a.b", true)]
    [InlineData("a.*", "a", false)]
    [InlineData("a.*", "a.b.c", false)]
    [InlineData("a.*.c", "a.b.c", true)]
    [InlineData("a.*.c", "a.b.d", false)]
    [InlineData("*.b", "a.b", true)]
    [InlineData(">", "a", true)]
    [InlineData(">", "a.b.c", true)]
    [InlineData("a.>", "a.b", true)]
    [InlineData("a.>", "a.b.c.d", true)]
    [InlineData("a.>", "a", false)]
    [InlineData("a.>", "b.c", false)]
    [InlineData("a.*.>", "a.b", false)]
    [InlineData("a.*.>", "a.b.c", true)]
    [InlineData("a*", "a*", true)]
    [InlineData("a*", "ab", false)]
    [InlineData("a>", "a.b", false)]
    public void Matches_PatternAndSubject_FollowsNatsWildcardRules(string pattern, string subject, bool expected)
    {
        // Act
        var matches = Subjects.Matches(pattern, subject);

        // Assert
        matches.Should().Be(expected);
    }

    [Theory]
    [InlineData("a.*", "a.b", true)]
    [InlineData("a.*.c", "a.b.*", true)]
    [InlineData("a.>", "a", false)]
    [InlineData("a.*", "a.b.c", false)]
    [InlineData("a.b", "a.b", true)]
    [InlineData("a.b", "a.c", false)]
    [InlineData(">", "a.b", true)]
    [InlineData("a.>", "a.b.c", true)]
    [InlineData("a.>", "*.b", true)]
    [InlineData("a.b.>", "a.*", false)]
    [InlineData("*.b", "a.*", true)]
    [InlineData("a.>", "b.>", false)]
    public void Collide_PairFromTheSemanticsTable_IsSymmetricAndMatchesTheServer(string a, string b, bool expected)
    {
        // Act
        var forward = Subjects.Collide(a, b);
        var backward = Subjects.Collide(b, a);

        // Assert
        forward.Should().Be(expected);
        backward.Should().Be(expected);
    }

    [Theory]
    [InlineData("a.b", "a.*", true)]
    [InlineData("a.b", "a.b", true)]
    [InlineData("a.b.c", "a.>", true)]
    [InlineData("a.*", "a.>", true)]
    [InlineData("a.*.>", "a.>", true)]
    [InlineData("a.>", ">", true)]
    [InlineData("*.>", ">", true)]
    [InlineData("*.b", "*.*", true)]
    [InlineData("a.>", "a.*", false)]
    [InlineData("a", "a.>", false)]
    [InlineData("a.*", "a.b", false)]
    [InlineData("a.b.c", "a.*", false)]
    [InlineData(">", "*.>", false)]
    [InlineData(">", "a.>", false)]
    [InlineData("a.>", "a.*.>", false)]
    [InlineData("a.b", "a.c", false)]
    public void IsSubsetOf_InnerAndOuter_ReturnsWhetherEveryInnerMatchIsAnOuterMatch(string inner, string outer, bool expected)
    {
        // Act
        var subset = Subjects.IsSubsetOf(inner, outer);

        // Assert
        subset.Should().Be(expected);
    }
}
