package io.moodleautopilot.core.release;

import java.io.IOException;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * One {@code <MOODLE version="X.Y">} element of a release's admin/environment.xml: what Moodle's own
 * environment check (lib/environmentlib.php) holds a site to before it installs or upgrades that
 * branch. Only the parts MoodleSource can know before deploying are read: the release the database
 * must already have ({@code requires}), the PHP version and its {@code restrict_php_version_8N}
 * restriction, and the database vendors' minimums.
 *
 * @param requires           the lowest release a site may upgrade from, e.g. {@code 4.1.2}
 * @param phpMinimum         e.g. {@code 8.1.0}
 * @param phpRestrictedFrom  the PHP version from which this branch is unsupported ({@code 8.4} for
 *                           {@code restrict_php_version_84}), empty when there is none
 * @param vendors            vendor name (postgres, mysql, mariadb...) to its minimum version
 */
public record MoodleEnvironment(String branch, String requires, String phpMinimum, String phpRestrictedFrom,
                                Map<String, String> vendors) {
    private static final Pattern RESTRICT_PHP = Pattern.compile("restrict_php_version_([0-9])([0-9]*)");

    public MoodleEnvironment {
        vendors = Map.copyOf(vendors);
    }

    /**
     * @param majorMinor the release's branch as environment.xml writes it, e.g. {@code 4.5}
     * @return empty when the document has no element for that branch
     * @throws StagingException when the document is not XML
     */
    public static Optional<MoodleEnvironment> of(String xml, String majorMinor) {
        Document doc = parse(xml);
        NodeList moodles = doc.getElementsByTagName("MOODLE");
        for (int i = 0; i < moodles.getLength(); i++) {
            Element m = (Element) moodles.item(i);
            if (!m.getAttribute("version").equals(majorMinor)) {
                continue;
            }
            // Moodle reads a missing requires as 1.0 (environment_check_moodle).
            String requires = m.getAttribute("requires").isEmpty() ? "1.0" : m.getAttribute("requires");
            String php = "";
            String restricted = "";
            Element phpElement = child(m, "PHP");
            if (phpElement != null) {
                php = phpElement.getAttribute("version");
                NodeList restricts = phpElement.getElementsByTagName("RESTRICT");
                for (int r = 0; r < restricts.getLength(); r++) {
                    Matcher f = RESTRICT_PHP.matcher(((Element) restricts.item(r)).getAttribute("function"));
                    if (f.matches()) {
                        // restrict_php_version_84 is PHP 8.4 and later; restrict_php_version_7 is 7 and later.
                        restricted = f.group(2).isEmpty() ? f.group(1) : f.group(1) + "." + Integer.parseInt(f.group(2));
                    }
                }
            }
            Map<String, String> vendors = new LinkedHashMap<>();
            Element db = child(m, "DATABASE");
            if (db != null) {
                NodeList vs = db.getElementsByTagName("VENDOR");
                for (int v = 0; v < vs.getLength(); v++) {
                    Element e = (Element) vs.item(v);
                    vendors.put(e.getAttribute("name"), e.getAttribute("version"));
                }
            }
            return Optional.of(new MoodleEnvironment(majorMinor, requires, php, restricted, vendors));
        }
        return Optional.empty();
    }

    private static Element child(Element parent, String name) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** No DTD, no external entity: the document comes from a download. */
    private static Document parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            f.setXIncludeAware(false);
            DocumentBuilder b = f.newDocumentBuilder();
            // Errors end as the exception below, not as lines on stderr (the parser's default handler prints them).
            b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler() {
                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return b.parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new StagingException("the release's admin/environment.xml cannot be read: " + e.getMessage()
                    + "; nothing was staged", e);
        }
    }
}
