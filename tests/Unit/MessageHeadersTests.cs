namespace Goflux.Tests;

public class MessageHeadersTests
{
    [Fact]
    public void Add_NameDifferingOnlyInCase_RejectedBecauseTheWireMergesThem()
    {
        // Arrange
        var headers = new MessageHeaders().Add("Tenant", "upper");

        // Act
        var add = () => headers.Add("tenant", "lower");
        var set = () => headers.Set("TENANT", "other");

        // Assert
        add.Should().Throw<ArgumentException>().WithMessage("*'tenant' differs only in case from header 'Tenant'*");
        set.Should().Throw<ArgumentException>().WithMessage("*'TENANT' differs only in case*");
        headers.Count.Should().Be(1);
        headers["Tenant"].Should().Be("upper");
    }

    [Fact]
    public void Indexer_LookupIsExact_NameKeepsItsSpelling()
    {
        // Arrange
        var headers = new MessageHeaders().Add("Tenant", "a").Add("Tenant", "b");

        // Act
        var lower = headers["tenant"];
        var found = headers.TryGetValues("Tenant", out var values);

        // Assert
        lower.Should().BeNull("lookups are case-sensitive, as the server's own Nats-* headers are");
        found.Should().BeTrue();
        values.Should().Equal("a", "b");
        headers.Contains("TENANT").Should().BeFalse();
        headers.Names.Should().Equal("Tenant");
        headers.Remove("tenant").Should().BeFalse();
        headers.Remove("Tenant").Should().BeTrue();
        headers.Count.Should().Be(0);
    }

    [Fact]
    public void Add_SameNameTwice_KeepsBothValuesInOrder()
    {
        // Arrange
        var headers = new MessageHeaders();

        // Act
        headers.Add("Accept", "a").Add("Accept", "b").Add("Accept", "c");

        // Assert
        headers.TryGetValues("Accept", out var values).Should().BeTrue();
        values.Should().Equal("a", "b", "c");
        headers["Accept"].Should().Be("a");
        headers.Count.Should().Be(1);
    }

    [Fact]
    public void Names_AfterAdds_AreInInsertionOrder()
    {
        // Arrange
        var headers = new MessageHeaders().Add("z", "1").Add("a", "2").Add("m", "3").Add("z", "4");

        // Act
        var names = headers.Names.ToList();
        var enumerated = headers.Select(h => (h.Key, string.Join(",", h.Value))).ToList();

        // Assert
        names.Should().Equal("z", "a", "m");
        enumerated.Should().Equal(("z", "1,4"), ("a", "2"), ("m", "3"));
    }

    [Fact]
    public void Set_ExistingMultiValuedHeader_ReplacesAllValuesAndKeepsPosition()
    {
        // Arrange
        var headers = new MessageHeaders().Add("a", "1").Add("b", "2").Add("b", "3").Add("c", "4");

        // Act
        headers.Set("b", "x");

        // Assert
        headers.TryGetValues("b", out var values).Should().BeTrue();
        values.Should().Equal("x");
        headers.Names.Should().Equal("a", "b", "c");
    }

    [Fact]
    public void Set_NewHeader_AddsIt()
    {
        // Arrange
        var headers = new MessageHeaders().Add("a", "1");

        // Act
        headers.Set("b", "2");

        // Assert
        headers.Names.Should().Equal("a", "b");
        headers["b"].Should().Be("2");
    }

    [Fact]
    public void Remove_PresentAndAbsent_ReturnsWhetherItWasThere()
    {
        // Arrange
        var headers = new MessageHeaders().Add("a", "1").Add("a", "2").Add("b", "3");

        // Act
        var removed = headers.Remove("a");
        var again = headers.Remove("a");

        // Assert
        removed.Should().BeTrue();
        again.Should().BeFalse();
        headers.Names.Should().Equal("b");
        headers.TryGetValues("a", out var values).Should().BeFalse();
        values.Should().BeEmpty();
    }

    [Theory]
    [InlineData("X-Bad\r")]
    [InlineData("X-Bad\n")]
    [InlineData("X-\r\nInjected")]
    public void Add_NameWithCrOrLf_ThrowsNamingTheHeader(string name)
    {
        // Arrange
        var headers = new MessageHeaders();

        // Act
        var act = () => headers.Add(name, "v");

        // Assert
        act.Should().Throw<ArgumentException>()
            .Which.Message.Should().Contain("CR or LF").And.Contain(Printable(name));
        headers.Count.Should().Be(0);
    }

    [Theory]
    [InlineData("v\r")]
    [InlineData("v\n")]
    [InlineData("v\r\nX-Injected: 1")]
    public void Add_ValueWithCrOrLf_ThrowsNamingTheHeader(string value)
    {
        // Arrange
        var headers = new MessageHeaders();

        // Act
        var add = () => headers.Add("Trace-Note", value);
        var set = () => headers.Set("Trace-Note", value);

        // Assert
        add.Should().Throw<ArgumentException>().Which.Message.Should().Contain("'Trace-Note'").And.Contain("CR or LF");
        set.Should().Throw<ArgumentException>().Which.Message.Should().Contain("'Trace-Note'");
        headers.Count.Should().Be(0);
    }

    [Theory]
    [InlineData("caf\u00e9 \u00fc", "non-ASCII character '\u00e9' at index 3")]
    [InlineData("\u65e5\u672c", "non-ASCII character")]
    [InlineData(" padded", "starts or ends with a space")]
    [InlineData("padded ", "starts or ends with a space")]
    [InlineData("   ", "starts or ends with a space")]
    [InlineData("a\tb", "control character U+0009")]
    [InlineData("a\u0000b", "control character U+0000")]
    [InlineData("a\u007fb", "control character U+007F")]
    public void Add_ValueTheWireWouldChange_ThrowsSayingWhy(string value, string why)
    {
        // Arrange
        var headers = new MessageHeaders();

        // Act
        var add = () => headers.Add("Note", value);

        // Assert
        add.Should().Throw<ArgumentException>().Which.Message.Should().Contain("'Note'").And.Contain(why);
        headers.Count.Should().Be(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("inner  spaces ok")]
    [InlineData("!\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~")]
    public void Add_PrintableAsciiValue_Kept(string value)
    {
        // Act
        var headers = new MessageHeaders().Add("Note", value);

        // Assert
        headers["Note"].Should().Be(value);
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("a b")]
    [InlineData("a\tb")]
    [InlineData("caf\u00e9")]
    [InlineData("a\u0001b")]
    public void Add_NameWithColonWhitespaceControlOrNonAscii_Throws(string name)
    {
        // Arrange
        var headers = new MessageHeaders();

        // Act
        var act = () => headers.Add(name, "v");

        // Assert
        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("invalid character");
        headers.Count.Should().Be(0);
    }

    [Fact]
    public void Add_EmptyName_Throws()
    {
        // Act
        var act = () => new MessageHeaders().Add(string.Empty, "v");

        // Assert
        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("empty");
    }

    [Fact]
    public void Add_NullNameOrValue_ThrowsArgumentNullException()
    {
        // Arrange
        var headers = new MessageHeaders();

        // Act
        var nullName = () => headers.Add(null!, "v");
        var nullValue = () => headers.Add("a", null!);

        // Assert
        nullName.Should().Throw<ArgumentNullException>();
        nullValue.Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Add_EmptyValueAndPunctuationInName_AreAccepted()
    {
        // Arrange
        var headers = new MessageHeaders();

        // Act
        headers.Add("X-Weird_name.1~!", string.Empty).Add("v", "colons: and spaces are fine in values");

        // Assert
        headers["X-Weird_name.1~!"].Should().BeEmpty();
        headers["v"].Should().Be("colons: and spaces are fine in values");
    }

    [Fact]
    public void Empty_Mutations_ThrowAndLeaveItEmpty()
    {
        // Arrange
        var empty = MessageHeaders.Empty;

        // Act
        var add = () => empty.Add("a", "1");
        var set = () => empty.Set("a", "1");
        var remove = () => empty.Remove("a");

        // Assert
        add.Should().Throw<InvalidOperationException>();
        set.Should().Throw<InvalidOperationException>();
        remove.Should().Throw<InvalidOperationException>();
        empty.Count.Should().Be(0);
        MessageHeaders.Empty.Should().BeSameAs(empty);
    }

    [Fact]
    public void Clone_OfEmpty_IsWritable()
    {
        // Act
        var copy = MessageHeaders.Empty.Clone();
        copy.Add("a", "1");

        // Assert
        copy["a"].Should().Be("1");
        MessageHeaders.Empty.Count.Should().Be(0);
    }

    [Fact]
    public void Clone_MutatingEitherSide_DoesNotAffectTheOther()
    {
        // Arrange
        var original = new MessageHeaders().Add("a", "1").Add("a", "2").Add("b", "3");

        // Act
        var copy = original.Clone();
        copy.Add("a", "copy");
        copy.Set("b", "copy");
        copy.Add("c", "copy");
        original.Add("a", "original");
        original.Remove("b");

        // Assert
        original.TryGetValues("a", out var originalA).Should().BeTrue();
        originalA.Should().Equal("1", "2", "original");
        original.Names.Should().Equal("a");
        copy.TryGetValues("a", out var copyA).Should().BeTrue();
        copyA.Should().Equal("1", "2", "copy");
        copy["b"].Should().Be("copy");
        copy.Names.Should().Equal("a", "b", "c");
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("already valid", "already valid")]
    [InlineData("two  spaces inside stay", "two  spaces inside stay")]
    [InlineData(" padded ", "padded")]
    [InlineData("a\r\nb\tc", "a b c")]
    [InlineData("caf\u00e9 \U0001F69A", "caf? ?")]
    [InlineData("\u00a0\u2003nbsp and em space\u3000", "nbsp and em space")]
    public void ToValidValue_AnyText_GivesTheValidValue(string? text, string expected)
    {
        // Act
        var value = MessageHeaders.ToValidValue(text);

        // Assert
        value.Should().Be(expected);
        var validate = () => MessageHeaders.ValidateValue("h", value);
        validate.Should().NotThrow();
    }

    [Fact]
    public void ToValidValue_LongerThanTheMaximum_IsCutWithAnEllipsis()
    {
        // Act
        var value = MessageHeaders.ToValidValue("abc def ghi", 8);
        var trimmed = MessageHeaders.ToValidValue("abc  def ghi", 8);

        // Assert
        value.Should().Be("abc d...");
        trimmed.Should().Be("abc d...", "runs of spaces become one before the cut");
    }

    [Fact]
    public void ToValidValue_MaximumBelowFour_Throws()
    {
        // Act
        var act = () => MessageHeaders.ToValidValue("x", 3);

        // Assert
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxLength");
    }

    [Fact]
    public void ToValidValue_RandomText_IsAlwaysValidAndWithinTheMaximum()
    {
        // Arrange: characters from every class the rule cares about, surrogates (paired and lone) included.
        var random = new Random(20261202);
        char[] pool = ['a', 'Z', '0', ' ', '~', '\t', '\r', '\n', '\0', '\u007f', '\u0085', '\u00e9', '\u00a0', '\u3000', '\ud83d', '\ude9a', '\ud800', '\u200b'];
        for (var i = 0; i < 2_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 400)).Select(_ => pool[random.Next(pool.Length)])]);
            var max = random.Next(4, 300);

            // Act
            var value = MessageHeaders.ToValidValue(text, max);

            // Assert
            value.Length.Should().BeLessThanOrEqualTo(max);
            var validate = () => MessageHeaders.ValidateValue("h", value);
            validate.Should().NotThrow($"'{Printable(text)}' gave '{value}'");
        }
    }

    private static string Printable(string s) => s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
