#!/bin/sh
# section5.sh: the README's walkthrough, a whole section-5 evaluation with
# curl alone, against a running pingshend.  It is what a newcomer types, step
# by step (tests/example/README-section.md shows the same steps), and it
# keeps that text true: tests/example/run plays it against a throwaway
# server under ctest.
#
#   BASE=https://127.0.0.1:8443/api/v1 CA=certs/dev/ca.crt \
#   ADMIN_USER=admin ADMIN_PASSWORD=... tests/example/section5.sh
#
# The administrator creates a secretary, five experts of five organizations
# and an auditor; the secretary evaluates a standard with the ywtb template
# in a scoring meeting (trimmed mean, trim 1, quorum 5); every expert scores
# every item 88, except that they disagree on one item in round 1, so round
# 2 rates that item alone; then the meeting and the verdict are finalized
# and the published total and conclusion are printed.
#
# Needs only sh, curl, sed, grep and tr.  Every request must get exactly the
# HTTP status the walkthrough expects, or the script prints the answer and
# exits 1.  Usernames carry a random suffix, so it can run any number of
# times against the same server.
set -eu

: "${BASE:?set BASE, e.g. https://127.0.0.1:8443/api/v1}"
: "${CA:?set CA to the CA certificate file, e.g. certs/dev/ca.crt}"
: "${ADMIN_USER:?set ADMIN_USER to an administrator account}"
: "${ADMIN_PASSWORD:?set ADMIN_PASSWORD to its password}"

die() {
	printf 'section5: %s\n' "$*" >&2
	exit 1
}

for tool in curl sed grep tr; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done

# call STATUS METHOD PATH [TOKEN [-]]: one curl request, as the README shows
# it; with "-", the JSON body is read from standard input (a here-document).
# The answer's body goes to $ANSWER; any status other than STATUS ends the
# script.
call() {
	c_want=$1 c_method=$2 c_path=$3 c_token=${4:-} c_body=${5:-}
	set -- -sS --cacert "$CA" -X "$c_method" -w ' %{http_code}'
	if [ -n "$c_token" ]; then
		set -- "$@" -H "Authorization: Bearer $c_token"
	fi
	if [ "$c_body" = - ]; then
		set -- "$@" -H 'Content-Type: application/json' -d @-
	fi
	c_out=$(curl "$@" "$BASE$c_path") ||
		die "curl failed: $c_method $c_path"
	c_status=${c_out##* }
	ANSWER=${c_out% *}
	if [ "$c_status" != "$c_want" ]; then
		printf 'section5: %s %s: HTTP %s, expected %s\n%s\n' \
			"$c_method" "$c_path" "$c_status" "$c_want" "$ANSWER" >&2
		exit 1
	fi
}

# The first "KEY":123 or "KEY":"text" in $ANSWER (compact JSON, as the
# server writes it); the script stops when it is missing.
number() {
	v=$(printf '%s' "$ANSWER" | grep -o "\"$1\":[0-9][0-9]*" |
		sed -n '1s/^[^:]*://p')
	[ -n "$v" ] || die "no \"$1\" in $ANSWER"
	printf '%s\n' "$v"
}
string() {
	v=$(printf '%s' "$ANSWER" | grep -o "\"$1\":\"[^\"]*\"" |
		sed -n '1s/^"[^"]*":"\(.*\)"$/\1/p')
	[ -n "$v" ] || die "no \"$1\" in $ANSWER"
	printf '%s\n' "$v"
}
# The items of a round, from the answer that opened it: "1.1.1 1.1.2 ...".
items() {
	printf '%s' "$ANSWER" | sed -n 's/.*"items":\[\([^]]*\)\].*/\1/p' |
		tr -d '"' | tr ',' ' '
}
# A string as JSON text (quotes and backslashes escaped).
json_string() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"
}

# Six random characters for the usernames of this run.
S=$(LC_ALL=C tr -dc 'a-z0-9\n' </dev/urandom |
	sed -n '/....../{s/^.*\(......\)$/\1/p;q;}')
PW="walkthrough-$S"

# 1. The administrator logs in.
call 201 POST /sessions "" - <<EOF
{"username":$(json_string "$ADMIN_USER"),"password":$(json_string "$ADMIN_PASSWORD")}
EOF
ADMIN=$(string token)
echo "1. $ADMIN_USER logged in"

# 2. The administrator creates the accounts: a secretary, five experts of
#    five organizations, an auditor.
call 201 POST /users "$ADMIN" - <<EOF
{"username":"secretary-$S","display_name":"王秘书","role":"secretary",
 "organization":"上海市标准化研究院","password":"$PW"}
EOF
echo "2. created secretary-$S (id $(number id))"
EXPERT_IDS=
for i in 1 2 3 4 5; do
	case $i in
	1) org=复旦大学 ;;
	2) org=同济大学 ;;
	3) org=上海交通大学 ;;
	4) org=华东师范大学 ;;
	5) org=上海社会科学院 ;;
	esac
	call 201 POST /users "$ADMIN" - <<EOF
{"username":"expert$i-$S","display_name":"专家$i","role":"expert",
 "organization":"$org","password":"$PW"}
EOF
	EXPERT_IDS=$EXPERT_IDS${EXPERT_IDS:+,}$(number id)
	echo "   created expert$i-$S of $org (id $(number id))"
done
call 201 POST /users "$ADMIN" - <<EOF
{"username":"auditor-$S","display_name":"李审计","role":"auditor",
 "organization":"上海市市场监督管理局","password":"$PW"}
EOF
echo "   created auditor-$S (id $(number id))"

# 3. Everyone logs in.
call 201 POST /sessions "" - <<EOF
{"username":"secretary-$S","password":"$PW"}
EOF
SECRETARY=$(string token)
EXPERTS=
for i in 1 2 3 4 5; do
	call 201 POST /sessions "" - <<EOF
{"username":"expert$i-$S","password":"$PW"}
EOF
	EXPERTS="$EXPERTS $(string token)"
done
call 201 POST /sessions "" - <<EOF
{"username":"auditor-$S","password":"$PW"}
EOF
AUDITOR=$(string token)
echo "3. the secretary, the five experts and the auditor logged in"

# 4. The secretary starts an evaluation from the ywtb template (Table 1): it
#    begins at stage scoring with the template's 16 items.
call 201 POST /evaluations "$SECRETARY" - <<EOF
{"title":"一网通办业务规范先进性评价",
 "standard":{"code":"DB31/T 0000-2025","title":"政务服务“一网通办”业务规范"},
 "drafting_organizations":["上海市大数据中心"],"template":"ywtb"}
EOF
EVALUATION=$(number id)
echo "4. evaluation $EVALUATION at stage $(string stage), threshold $(string threshold)"

# 5. The secretary convenes the scoring meeting.
call 201 POST "/evaluations/$EVALUATION/meetings" "$SECRETARY" - <<EOF
{"kind":"scoring","title":"评分会议","experts":[$EXPERT_IDS],
 "aggregation":{"method":"trimmed_mean","trim":1},
 "consensus":{"max_iqr":"10","max_cv":"0.25"},"quorum":5}
EOF
MEETING=$(number id)
echo "5. meeting $MEETING convened with experts $EXPERT_IDS"

# 6. Each expert declares no conflict of interest and takes the seat.
for token in $EXPERTS; do
	call 200 POST "/meetings/$MEETING/seat" "$token" - <<EOF
{"conflict_of_interest":false,"statement":"本人与该标准起草单位无利益关系"}
EOF
done
echo "6. five experts seated"

# 7. The secretary opens round 1; it covers every item.
call 201 POST "/meetings/$MEETING/rounds" "$SECRETARY"
ITEMS=$(items)
SPREAD=${ITEMS%% *}
echo "7. round 1 open for $ITEMS"

# ballots ROUND SPREAD_SCORES: each expert PUTs a complete ballot scoring
# every item of the round 88, except $SPREAD, which expert i scores with the
# i-th of SPREAD_SCORES.
ballots() {
	i=0
	for token in $EXPERTS; do
		i=$((i + 1))
		spread_score=$(printf '%s\n' "$2" | tr ' ' '\n' | sed -n "${i}p")
		scores=
		for item in $ITEMS; do
			score=88
			[ "$item" != "$SPREAD" ] || score=$spread_score
			scores="$scores${scores:+,}{\"item\":\"$item\",\"score\":$score}"
		done
		call 200 PUT "/meetings/$MEETING/rounds/$1/ballot" "$token" - <<EOF
{"scores":[$scores]}
EOF
		[ "$(printf '%s' "$ANSWER" | grep -c '"complete":true')" = 1 ] ||
			die "expert $i's ballot is not complete: $ANSWER"
	done
}

# 8. Each expert scores every item 88, except that they disagree on the
#    first item: 60, 70, 88, 95, 100.
ballots 1 "60 70 88 95 100"
echo "8. five complete ballots in round 1"

# 9. The secretary closes round 1: the item they disagree on misses
#    consensus (its IQR, 25, is above 10).
call 200 POST "/meetings/$MEETING/rounds/1/close" "$SECRETARY"
NO_CONSENSUS=$(printf '%s' "$ANSWER" |
	grep -o '"item":"[^"]*",[^{]*{[^}]*}[^}]*"consensus":false' |
	sed 's/^"item":"\([^"]*\)".*/\1/' | tr '\n' ' ')
[ "$NO_CONSENSUS" = "$SPREAD " ] ||
	die "round 1: expected no consensus on $SPREAD only, got: $NO_CONSENSUS"
echo "9. round 1 closed; no consensus on $SPREAD"

# 10. Round 2 covers only the items without consensus.
call 201 POST "/meetings/$MEETING/rounds" "$SECRETARY"
ITEMS=$(items)
[ "$ITEMS" = "$SPREAD" ] || die "round 2 covers $ITEMS, expected $SPREAD"
echo "10. round 2 open for $ITEMS"

# 11. The experts score it again, this time all 88; the secretary closes
#     round 2.
ballots 2 "88 88 88 88 88"
call 200 POST "/meetings/$MEETING/rounds/2/close" "$SECRETARY"
printf '%s' "$ANSWER" | grep -q '"consensus":true' ||
	die "round 2 did not reach consensus: $ANSWER"
echo "11. round 2 closed with consensus"

# 12. The secretary finalizes the meeting: every item takes its value from
#     the last round that rated it.
call 200 POST "/meetings/$MEETING/finalize" "$SECRETARY"
echo "12. meeting $MEETING $(string state)"

# 13. The secretary previews the verdict, with each expert left out in turn.
call 200 GET "/evaluations/$EVALUATION/verdict/preview" "$SECRETARY"
printf '%s' "$ANSWER" | grep -q '"robust":true' ||
	die "the verdict is not robust: $ANSWER"
echo "13. preview: total $(string total), robust"

# 14. The secretary finalizes the verdict: it is signed and never changes.
call 201 POST "/evaluations/$EVALUATION/verdict" "$SECRETARY" - <<EOF
{"statement":"经专家组评审，该标准具有先进性。"}
EOF
echo "14. verdict finalized by $(string username), key $(string key_id)"

# 15. Anyone can fetch the public keys that verify the signature.
call 200 GET /keys
echo "15. signing key $(string key_id) ($(string alg))"

# 16. The auditor reads the verdict.
call 200 GET "/evaluations/$EVALUATION/verdict" "$AUDITOR"
TOTAL=$(string total)
CONCLUSION=$(string conclusion)
echo "16. published total: $TOTAL"
echo "    conclusion: $CONCLUSION"
[ "$TOTAL" = 88.00 ] || die "expected the total 88.00, got $TOTAL"
