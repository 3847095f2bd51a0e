namespace AuthPatterns.Tests.Docs;

/// <summary>The README's Program.cs is the compiled samples/ReadmeExample/Program.cs, so it compiles as shown.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void Readme_program_example_is_the_compiled_ReadmeExample()
    {
        var root = Repository();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        const string Begin = "<!-- begin: samples/ReadmeExample/Program.cs -->\n```csharp\n";
        const string End = "```\n<!-- end: samples/ReadmeExample/Program.cs -->";
        var start = readme.IndexOf(Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md has no samples/ReadmeExample/Program.cs block.");

        var shown = readme[(start + Begin.Length)..end];
        var compiled = File.ReadAllText(Path.Combine(root, "samples", "ReadmeExample", "Program.cs")).ReplaceLineEndings("\n");
        Assert.Equal(compiled, shown);
    }

    [Theory]
    [InlineData("src/AuthPatterns/README.md")]
    [InlineData("src/AuthPatterns.EntityFrameworkCore/README.md")]
    [InlineData("src/AuthPatterns.OpenApi/README.md")]
    [InlineData("src/AuthPatterns.Tool/README.md")]
    [InlineData("templates/README.md")]
    public void Package_readme_links_are_absolute(string path)
    {
        var text = File.ReadAllText(Path.Combine(Repository(), path));
        Assert.DoesNotContain("](docs/", text, StringComparison.Ordinal);
        Assert.DoesNotContain("](../", text, StringComparison.Ordinal);
        Assert.Contains("](https://github.com/authpatterns/authpatterns/blob/main/", text, StringComparison.Ordinal);
    }

    private static string Repository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AuthPatterns.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("AuthPatterns.sln was not found above the test's directory.");
    }
}
