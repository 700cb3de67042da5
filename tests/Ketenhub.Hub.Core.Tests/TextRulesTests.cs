using Ketenhub.Hub.Common;

namespace Ketenhub.Hub.Core.Tests;

public class TextRulesTests
{
    private static HubException? Check(string? value, int max = 10, bool required = false, bool multiline = false)
    {
        var validator = new Validator();
        TextRules.Check(validator, value, "signal.description", max, required, multiline);
        return Record.Exception(validator.ThrowIfAny) is { } ex ? Assert.IsType<HubException>(ex) : null;
    }

    private static HubException? CheckEnum<T>(T value, bool required = true)
        where T : struct, Enum
    {
        var validator = new Validator();
        TextRules.CheckEnum(validator, value, "signal.kind", required);
        return Record.Exception(validator.ThrowIfAny) is { } ex ? Assert.IsType<HubException>(ex) : null;
    }

    private static void AssertViolation(HubException? ex, string reason, string field = "signal.description")
    {
        Assert.NotNull(ex);
        Assert.Equal(reason, ex.Reason);
        Assert.Equal(ErrorCategory.InvalidArgument, ex.Category);
        var violation = Assert.Single(ex.Violations);
        Assert.Equal(field, violation.Field);
        Assert.Equal(ex.Message, violation.Description);
    }

    [Fact]
    public void TextLongerThanMax_IsFieldTooLong()
    {
        var ex = Check(new string('x', 11));

        AssertViolation(ex, ErrorReasons.FieldTooLong);
        Assert.Contains("10", ex!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TextOfExactlyMax_IsAccepted() => Assert.Null(Check(new string('x', 10)));

    [Fact]
    public void TooLongText_MessageDoesNotRepeatTheValue()
    {
        var ex = Check("Jan Jansen woont hier", max: 5);

        AssertViolation(ex, ErrorReasons.FieldTooLong);
        Assert.DoesNotContain("Jansen", ex!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData("a\u0007b")]
    [InlineData("a\u001bb")]
    [InlineData("a\u007fb")]
    [InlineData("a\u0085b")]
    public void ControlCharacter_IsInvalidCharacters(string value)
    {
        AssertViolation(Check(value), ErrorReasons.InvalidCharacters);
        AssertViolation(Check(value, multiline: true), ErrorReasons.InvalidCharacters);
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\r\nb")]
    [InlineData("a\tb")]
    public void LineBreakOrTab_IsInvalidInSingleLineText(string value) =>
        AssertViolation(Check(value), ErrorReasons.InvalidCharacters);

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\r\nb")]
    [InlineData("a\tb")]
    public void LineBreakOrTab_IsAllowedInMultilineText(string value) =>
        Assert.Null(Check(value, multiline: true));

    [Theory]
    [InlineData("Zoë en Daniël")]
    [InlineData("ok 👍")]
    public void PrintableUnicode_IsAccepted(string value) => Assert.Null(Check(value, max: 50));

    [Fact]
    public void UnpairedSurrogate_IsInvalidCharacters()
    {
        AssertViolation(Check("ab\uD800"), ErrorReasons.InvalidCharacters);
        AssertViolation(Check("\uDC00ab"), ErrorReasons.InvalidCharacters);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void EmptyRequiredText_IsFieldRequired(string? value) =>
        AssertViolation(Check(value, required: true), ErrorReasons.FieldRequired);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void EmptyOptionalText_IsAccepted(string? value) => Assert.Null(Check(value));

    [Fact]
    public void UnknownEnumValue_IsUnknownEnumValue()
    {
        AssertViolation(CheckEnum((SignalKind)99), ErrorReasons.UnknownEnumValue, "signal.kind");
        AssertViolation(CheckEnum((SignalKind)99, required: false), ErrorReasons.UnknownEnumValue, "signal.kind");
        AssertViolation(CheckEnum((Purpose)(-1)), ErrorReasons.UnknownEnumValue, "signal.kind");
    }

    [Fact]
    public void UnspecifiedRequiredEnum_IsFieldRequired() =>
        AssertViolation(CheckEnum(SignalKind.Unspecified), ErrorReasons.FieldRequired, "signal.kind");

    [Fact]
    public void UnspecifiedOptionalEnum_IsAccepted() => Assert.Null(CheckEnum(ReferralUrgency.Unspecified, required: false));

    [Fact]
    public void KnownEnumValue_IsAccepted() => Assert.Null(CheckEnum(SignalKind.EvictionRisk));

    [Fact]
    public void SeveralViolations_AreOneInvalidRequestListingAll()
    {
        var validator = new Validator();
        TextRules.Check(validator, new string('x', 300), "name", TextRules.ShortTextMax);
        TextRules.CheckEnum(validator, SignalKind.Unspecified, "kind");

        var ex = Assert.Throws<HubException>(validator.ThrowIfAny);

        Assert.Equal(ErrorReasons.InvalidRequest, ex.Reason);
        Assert.Equal(["name", "kind"], ex.Violations.Select(v => v.Field));
        Assert.Equal("The request has 2 invalid fields.", ex.Message);
    }

    [Fact]
    public void SeveralViolations_WithOneCode_KeepThatCode_AndEachViolationCarriesItsOwn()
    {
        var validator = new Validator();
        TextRules.Check(validator, new string('x', 300), "name", TextRules.ShortTextMax);
        TextRules.Check(validator, new string('x', 9000), "reason", TextRules.FreeTextMax, multiline: true);
        TextRules.CheckEnum(validator, SignalKind.Unspecified, "kind");

        var mixed = Assert.Throws<HubException>(validator.ThrowIfAny);
        Assert.Equal(ErrorReasons.InvalidRequest, mixed.Reason);
        Assert.Equal([ErrorReasons.FieldTooLong, ErrorReasons.FieldTooLong, ErrorReasons.FieldRequired], mixed.Violations.Select(v => v.Reason));
        Assert.Equal(("3", "name,reason,kind"), (mixed.Metadata["fieldCount"], mixed.Metadata["fields"]));

        var same = new Validator();
        TextRules.Check(same, new string('x', 300), "name", TextRules.ShortTextMax);
        TextRules.Check(same, new string('x', 9000), "reason", TextRules.FreeTextMax, multiline: true);
        Assert.Equal(ErrorReasons.FieldTooLong, Assert.Throws<HubException>(same.ThrowIfAny).Reason);
    }

    [Fact]
    public void OneViolation_PutsItsFieldAndLimitInTheMetadata()
    {
        var validator = new Validator();
        TextRules.Check(validator, new string('x', 300), "coach.display_name", TextRules.ShortTextMax);

        var ex = Assert.Throws<HubException>(validator.ThrowIfAny);

        Assert.Equal(ErrorReasons.FieldTooLong, ex.Reason);
        Assert.Equal(ErrorReasons.FieldTooLong, Assert.Single(ex.Violations).Reason);
        Assert.Equal(new Dictionary<string, string> { ["field"] = "coach.display_name", ["maxLength"] = "200" }, ex.Metadata);
    }

    [Fact]
    public void NoViolations_DoesNotThrow()
    {
        var validator = new Validator();
        TextRules.Check(validator, "fine", "name", TextRules.ShortTextMax);

        Assert.False(validator.HasErrors);
        validator.ThrowIfAny();
    }
}
