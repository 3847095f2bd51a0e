using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace AuthPatterns.Tests.Fuzz;

/// <summary>
/// One seeded, bounded FsCheck run per target: the same inputs on every machine, so a failure found in CI replays
/// locally. The seed and the counts are the ones docs/security.md quotes.
/// </summary>
internal static class FuzzRun
{
    public const ulong Seed = 0x5EED_0F_A117_0008;
    public const ulong Gamma = 0x9E37_79B9_7F4A_7C15;

    /// <summary>Inputs per parser target, called directly.</summary>
    public const int Inputs = 100_000;

    /// <summary>Inputs per target sent through an in-process pipeline.</summary>
    public const int PipelineInputs = 2_000;

    public static void Check<T>(Gen<T> generator, Action<T> property, int count = Inputs, ulong seed = Seed)
    {
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(count)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed, Gamma), FSharpOption<int>.None)));
        FsCheck.Check.One(config, Prop.ForAll(generator.ToArbitrary(), property));
    }

    /// <summary>A fixed list of inputs from the same seed, for targets driven by async code (a pipeline).</summary>
    public static T[] Sample<T>(Gen<T> generator, int count = PipelineInputs, ulong seed = Seed) =>
        generator.Sample(50, new Rnd(seed, Gamma), count);
}

/// <summary>Generators that mix random text, near-valid mutations of valid inputs, and valid inputs.</summary>
internal static class FuzzGen
{
    /// <summary>Whitespace a trim would remove but a strict parser must not accept: the Unicode spaces and the BOM.</summary>
    public static readonly char[] UnicodeWhitespace =
        ['\u00a0', '\u1680', '\u2000', '\u2007', '\u200a', '\u200b', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u0085', '\t', '\v', '\f', '\r', '\n', ' '];

    public static readonly Gen<char> AnyChar = Gen.Choose(0, 0xFFFF).Select(i => (char)i);

    public static readonly Gen<char> ControlChar = Gen.OneOf(Gen.Choose(0, 31), Gen.Constant(127)).Select(i => (char)i);

    public static readonly Gen<char> Printable = Gen.Choose(0x20, 0x7E).Select(i => (char)i);

    /// <summary>Random strings: any UTF-16 unit (lone surrogates included), printable ASCII, or FsCheck's own strings.</summary>
    public static readonly Gen<string> RandomText = Gen.OneOf(
        StringOf(AnyChar),
        StringOf(Printable),
        StringOf(Gen.OneOf(Printable, ControlChar, Gen.Elements(UnicodeWhitespace))),
        ArbMap.Default.GeneratorFor<string>().Select(s => s ?? string.Empty));

    public static Gen<string> StringOf(Gen<char> chars) => chars.ArrayOf().Select(a => new string(a));

    public static Gen<string> StringOf(Gen<char> chars, int minLength, int maxLength) =>
        Gen.Choose(minLength, maxLength).SelectMany(n => chars.ArrayOf(n)).Select(a => new string(a));

    /// <summary>One to three mutations of a valid input.</summary>
    public static Gen<string> Mutated(Gen<string> valid) =>
        valid.SelectMany(v => Gen.Choose(1, 3).SelectMany(n => MutateTimes(v, n)));

    /// <summary>Valid inputs, mutated ones and random ones, in the given proportions.</summary>
    public static Gen<string> Mix(Gen<string> valid, int validWeight = 2, int mutatedWeight = 6, int randomWeight = 2) =>
        Gen.Frequency((validWeight, valid), (mutatedWeight, Mutated(valid)), (randomWeight, RandomText));

    private static Gen<string> MutateTimes(string value, int times) =>
        times == 0 ? Gen.Constant(value) : Mutate(value).SelectMany(m => MutateTimes(m, times - 1));

    /// <summary>
    /// One near-valid change: a bit flip, a truncation, a duplicated slice, inserted Unicode whitespace or a control
    /// character, a percent-encoded character, a replaced or deleted character, a case swap, or an oversized repeat.
    /// </summary>
    public static Gen<string> Mutate(string value)
    {
        var length = Math.Max(value.Length, 1);
        var position = Gen.Choose(0, length - 1);
        return Gen.Choose(0, 10).SelectMany(kind => kind switch
        {
            0 when value.Length > 0 => position.Zip(Gen.Choose(0, 15)).Select(t => Replace(value, t.Item1, (char)(value[t.Item1] ^ (1 << t.Item2)))),
            1 => Gen.Choose(0, value.Length).Select(n => value[..n]),
            2 when value.Length > 0 => position.Zip(Gen.Choose(1, 16)).Select(t =>
            {
                var slice = value.Substring(t.Item1, Math.Min(t.Item2, value.Length - t.Item1));
                return value.Insert(t.Item1, slice);
            }),
            3 => Gen.Choose(0, value.Length).Zip(Gen.Elements(UnicodeWhitespace)).Select(t => value.Insert(t.Item1, t.Item2.ToString())),
            4 => Gen.Choose(0, value.Length).Zip(ControlChar).Select(t => value.Insert(t.Item1, t.Item2.ToString())),
            5 when value.Length > 0 => position.Select(i => string.Concat(value.AsSpan(0, i), PercentEncode(value[i]), value.AsSpan(i + 1))),
            6 when value.Length > 0 => position.Zip(AnyChar).Select(t => Replace(value, t.Item1, t.Item2)),
            7 when value.Length > 0 => position.Select(i => value.Remove(i, 1)),
            8 when value.Length > 0 => position.Select(i => Replace(value, i, char.IsUpper(value[i]) ? char.ToLowerInvariant(value[i]) : char.ToUpperInvariant(value[i]))),
            9 => Gen.Choose(1_000, 20_000).Select(n => Oversize(value, n)),
            _ => Gen.Elements(UnicodeWhitespace).Select(c => c + value + c),
        });
    }

    // Repeats the value up to a target length (capped, so a second mutation does not multiply it again).
    private static string Oversize(string value, int length)
    {
        if (value.Length >= length)
        {
            return value;
        }

        var unit = value.Length == 0 ? "A" : value;
        return string.Concat(Enumerable.Repeat(unit, (length / unit.Length) + 1))[..length];
    }

    private static string Replace(string value, int index, char c) =>
        string.Create(value.Length, (value, index, c), static (span, state) =>
        {
            state.value.AsSpan().CopyTo(span);
            span[state.index] = state.c;
        });

    private static string PercentEncode(char c)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
        {
            builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
