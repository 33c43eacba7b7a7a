// reportpipe's veraPDF harness: validates PDFs against veraPDF's built-in profiles in one
// JVM and prints one tab-separated line per fact, for reportpipe.validate to read.
//
// usage: java -cp <jaxb jars>:<veraPDF jar>:<dir> Validate FLAVOUR PDF [FLAVOUR PDF ...]
//   FLAVOUR is a veraPDF flavour id: ua1 (PDF/UA-1), 3a (PDF/A-3a), 2b, ...
// output:
//   version <TAB> veraPDF version
//   result  <TAB> n <TAB> flavour <TAB> pass|fail <TAB> checks run
//   failed  <TAB> n <TAB> specification <TAB> clause <TAB> test number <TAB> count <TAB> description
//   error   <TAB> n <TAB> message                      (the PDF could not be validated)
import java.io.File;
import java.util.Map;
import java.util.TreeMap;
import org.verapdf.ReleaseDetails;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.ValidationResult;
import org.verapdf.pdfa.validation.profiles.Profiles;
import org.verapdf.pdfa.validation.profiles.Rule;
import org.verapdf.pdfa.validation.profiles.RuleId;
import org.verapdf.pdfa.validation.profiles.ValidationProfile;
import org.verapdf.pdfa.validation.validators.ValidatorFactory;

public final class Validate {
    private static String clean(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").trim();
    }

    public static void main(String[] args) {
        if (args.length == 0 || args.length % 2 != 0) {
            System.err.println("usage: Validate FLAVOUR PDF [FLAVOUR PDF ...]");
            System.exit(2);
        }
        VeraGreenfieldFoundryProvider.initialise();
        String version = "unknown";
        for (ReleaseDetails details : ReleaseDetails.getDetails()) {
            if ("core".equals(details.getId()) || "unknown".equals(version)) {
                version = details.getVersion();
            }
        }
        System.out.println("version\t" + version);
        for (int i = 0; i < args.length; i += 2) {
            int n = i / 2;
            try {
                PDFAFlavour flavour = PDFAFlavour.byFlavourId(args[i]);
                ValidationProfile profile =
                    Profiles.getVeraProfileDirectory().getValidationProfileByFlavour(flavour);
                try (PDFAParser parser =
                         Foundries.defaultInstance().createParser(new File(args[i + 1]), flavour);
                     PDFAValidator validator = ValidatorFactory.createValidator(profile, false)) {
                    ValidationResult result = validator.validate(parser);
                    System.out.println("result\t" + n + "\t" + flavour.getId() + "\t"
                        + (result.isCompliant() ? "pass" : "fail") + "\t"
                        + result.getTotalAssertions());
                    Map<String, String> lines = new TreeMap<>();
                    for (Map.Entry<RuleId, Integer> failed : result.getFailedChecks().entrySet()) {
                        RuleId id = failed.getKey();
                        Rule rule = profile.getRuleByRuleId(id);
                        String key = id.getClause() + "#" + String.format("%04d", id.getTestNumber());
                        lines.put(key, "failed\t" + n + "\t" + id.getSpecification().getId()
                            + "\t" + id.getClause() + "\t" + id.getTestNumber() + "\t"
                            + failed.getValue() + "\t"
                            + clean(rule == null ? "" : rule.getDescription()));
                    }
                    lines.values().forEach(System.out::println);
                }
            } catch (Throwable error) {
                System.out.println("error\t" + n + "\t" + clean(error.getClass().getSimpleName()
                    + ": " + error.getMessage()));
            }
        }
        System.out.flush();
    }
}
