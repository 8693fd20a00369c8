# maven_classpath NAME DEST GAV...: resolves the given artifacts with their transitive runtime
# dependencies into DEST (a folder of jars) through a throw-away pom, once.
maven_classpath() {
  local name=$1 dest=$2; shift 2
  [[ -f $dest/.complete ]] && return 0
  local work="$FLOE_CACHE/poms/$name"
  mkdir -p "$work" "$dest"
  {
    echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
    echo "<groupId>floe.stack</groupId><artifactId>$name</artifactId><version>1</version><packaging>pom</packaging><dependencies>"
    local gav g a v
    for gav in "$@"; do
      IFS=: read -r g a v <<<"$gav"
      echo "<dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
    done
    echo '</dependencies></project>'
  } >"$work/pom.xml"
  log "$name: resolving ${#@} artifacts and their dependencies with Maven (first run only)"
  mvn_run -f "$work/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$dest" -DincludeScope=runtime
  touch "$dest/.complete"
}
