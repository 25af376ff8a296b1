// Lambda's Runtime Interface Emulator, built from its Go module by scripts/lib.sh (ensure_rie):
// the same emulator `sam local invoke` runs inside the java21 image.
module moodleautopilot/tools/rie

go 1.26.6

require github.com/aws/aws-lambda-runtime-interface-emulator v0.0.0-20261030222936-bef5c4ba774d
