// Validate checks XML files against a W3C XML Schema with the JDK's own
// javax.xml.validation, so that a test needs nothing but a JDK 11+:
//
//	java Validate.java schema.xsd file.xml...
//
// It prints one line per file, tab-separated:
//
//	valid	FILE
//	invalid	FILE	LINE:COLUMN: REASON
//
// and exits 0 when every file is valid, 1 when one is not, and 2 when the
// schema itself cannot be read or no file was given. Nothing is fetched
// from the network: external DTDs and schemas are refused.

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

public class Validate {
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: java Validate.java schema.xsd file.xml...");
            System.exit(2);
        }
        Schema schema;
        try {
            SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            schema = factory.newSchema(new File(args[0]));
        } catch (SAXException e) {
            System.err.println("schema " + args[0] + ": " + describe(e));
            System.exit(2);
            return;
        }
        boolean allValid = true;
        for (int i = 1; i < args.length; i++) {
            String problem = check(schema, args[i]);
            if (problem == null) {
                System.out.println("valid\t" + args[i]);
            } else {
                allValid = false;
                System.out.println("invalid\t" + args[i] + "\t" + problem);
            }
        }
        System.out.flush();
        System.exit(allValid ? 0 : 1);
    }

    // check is null when file is valid against schema, else the first
    // problem found (and how many there were).
    static String check(Schema schema, String file) {
        List<String> problems = new ArrayList<>();
        try {
            Validator v = schema.newValidator();
            v.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            v.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            v.setErrorHandler(new ErrorHandler() {
                public void warning(SAXParseException e) {
                }

                public void error(SAXParseException e) {
                    problems.add(describe(e));
                }

                public void fatalError(SAXParseException e) throws SAXParseException {
                    throw e;
                }
            });
            v.validate(new StreamSource(new File(file)));
        } catch (SAXException e) {
            problems.add(describe(e));
        } catch (Exception e) {
            problems.add(oneLine(e.toString()));
        }
        if (problems.isEmpty()) {
            return null;
        }
        String first = problems.get(0);
        return problems.size() == 1 ? first : first + " (and " + (problems.size() - 1) + " more)";
    }

    static String describe(SAXException e) {
        if (e instanceof SAXParseException) {
            SAXParseException p = (SAXParseException) e;
            return p.getLineNumber() + ":" + p.getColumnNumber() + ": " + oneLine(p.getMessage());
        }
        return oneLine(String.valueOf(e.getMessage()));
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }
}
